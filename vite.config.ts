import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';
// With its extension: Vite warns of extensionless imports in the config (its future native loader needs them).
import { contentSecurityPolicyPlugin } from './tools/csp/vite-plugin.js';

export default defineConfig({
  // The Content-Security-Policy: a <meta> in the built index.html, a header from the dev and preview servers.
  plugins: [react(), contentSecurityPolicyPlugin()],
  // Relative asset URLs: the built app works from any folder or sub-path.
  base: './',
  build: {
    target: 'es2022',
    sourcemap: true,
    // The app, and the browser benchmarks' pages (bench/kernels-browser.ts, matmul-tfjs.ts and
    // infer-transformersjs.ts drive them).
    rolldownOptions: {
      input: {
        app: 'index.html',
        'bench-kernels': 'bench/kernels.html',
        'bench-matmul-tfjs': 'bench/matmul-tfjs.html',
        'bench-infer-transformersjs': 'bench/infer-transformersjs.html',
      },
    },
  },
  // The engine worker is an ES module worker. Its errors reach the UI as data with a stable code
  // (src/errors.ts), never by class name, so minification may rename classes.
  worker: { format: 'es' },
  server: { host: '127.0.0.1' },
  preview: { host: '127.0.0.1' },
});
