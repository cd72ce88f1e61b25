/// <reference types="vitest/config" />
import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

// `npm run dev` proxies the API to a Confab server (VITE_CONFAB_SERVER names it; it is read by Vite only,
// never by Confab): run `cargo run --bin confab -- serve` beside it.
const target = process.env.VITE_CONFAB_SERVER ?? 'http://127.0.0.1:8080';

export default defineConfig({
  plugins: [react()],
  build: {
    outDir: 'dist',
    assetsDir: 'assets',
    sourcemap: false,
    // The server's CSP allows no inline script: keep Vite from inlining anything.
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
  },
  server: {
    proxy: {
      '/v1': { target, changeOrigin: false },
      '/setup': target,
      '/docs': target,
    },
  },
  test: {
    environment: 'jsdom',
    include: ['src/**/*.test.{ts,tsx}'],
    setupFiles: ['src/test-setup.ts'],
  },
});
