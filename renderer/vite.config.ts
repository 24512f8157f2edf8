// The renderer build: index.html plus hashed assets in out/renderer/. Relative asset URLs
// (`base: './'`) so the same build loads from Electron's file:// and the browser bridge.
import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

export default defineConfig({
  root: import.meta.dirname,
  base: './',
  plugins: [react()],
  build: {
    outDir: '../out/renderer',
    emptyOutDir: true,
    target: 'es2022',
    // The polyfill is for browsers without modulepreload; Electron's Chromium has it.
    modulePreload: { polyfill: false },
  },
});
