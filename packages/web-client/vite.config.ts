import { defineConfig } from 'vite';

// No framework plugin needed: Vite 8 (oxc) compiles TSX with React's automatic runtime.
export default defineConfig({
  oxc: { jsx: { runtime: 'automatic' } },
  // No source maps: they would publish the sources (the web server also answers 404 for any *.map).
  build: {
    target: 'es2022',
    sourcemap: false,
    chunkSizeWarningLimit: 1024,
    rolldownOptions: {
      output: {
        // The WebRTC client (mediasoup-client and what it pulls in) in a chunk of its own, named so:
        // the network test and the call share it.
        advancedChunks: { groups: [{ name: 'mediasoup-client', test: /[\\/]node_modules[\\/]mediasoup-client[\\/]/ }] },
      },
    },
  },
});
