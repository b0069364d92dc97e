import { defineConfig } from 'vite';

// No framework plugin needed: Vite 8 (oxc) compiles TSX with React's automatic runtime.
export default defineConfig({
  oxc: { jsx: { runtime: 'automatic' } },
  build: { target: 'es2022', sourcemap: true, chunkSizeWarningLimit: 1024 },
});
