import { defineConfig } from 'vite';
import { fileURLToPath } from 'node:url';

// Cross-origin isolation: the fast kernels use SharedArrayBuffer (WebAssembly threads).
const isolation = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
};

const root = fileURLToPath(new URL('.', import.meta.url));

export default defineConfig({
  root,
  base: './',
  server: { headers: isolation, fs: { allow: [fileURLToPath(new URL('..', import.meta.url))] } },
  preview: { headers: isolation },
  // The built-in MNIST digits (data/mnist-10k/*.gz) are served from the package's data/
  // directory at the lab's root: by this dev server as its public directory, and beside the
  // built lab by src/lab-server.node.ts — not copied into dist/lab, so the package holds them once.
  publicDir: fileURLToPath(new URL('../data', import.meta.url)),
  worker: { format: 'es' },
  // The library names layers by their class (Monitor's LayerSeries.kind, which the health
  // rules read): keep class names through minification.
  esbuild: { keepNames: true },
  build: {
    outDir: fileURLToPath(new URL('../dist/lab', import.meta.url)),
    emptyOutDir: true,
    target: 'es2022',
    chunkSizeWarningLimit: 2000,
    copyPublicDir: false,
  },
});
