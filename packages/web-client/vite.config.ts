import { defineConfig } from 'vite';

// No framework plugin needed: Vite 8 (oxc) compiles TSX with React's automatic runtime.
export default defineConfig({
  oxc: { jsx: { runtime: 'automatic' } },
  // No source maps: they would publish the sources (the web server also answers 404 for any *.map).
  build: { target: 'es2022', sourcemap: false, chunkSizeWarningLimit: 1024 },
});
