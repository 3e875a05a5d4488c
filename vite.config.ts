import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

export default defineConfig({
  plugins: [react()],
  // Relative asset URLs: the built app works from any folder or sub-path.
  base: './',
  build: { target: 'es2022', sourcemap: true },
  // The engine worker is an ES module worker (it loads the benchmark on demand). Its errors reach
  // the UI by class name (`WebGPUUnavailableError`, …), which EngineError takes from the class:
  // minification must keep class names there.
  worker: { format: 'es', rolldownOptions: { output: { keepNames: true } } },
  server: { host: '127.0.0.1' },
  preview: { host: '127.0.0.1' },
});
