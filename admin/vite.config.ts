/// <reference types="vitest/config" />
import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

// `npm run dev` proxies the API to a Confab admin listener (VITE_CONFAB_ADMIN names it; read by
// Vite only, never by Confab): run `confab serve` beside it (its admin listener is 127.0.0.1:8081).
const target = process.env.VITE_CONFAB_ADMIN ?? 'http://127.0.0.1:8081';

export default defineConfig({
  plugins: [react()],
  // Relative asset URLs: the same build is served at `/` on the admin listener and at `/admin/`
  // on the main one.
  base: './',
  build: {
    outDir: 'dist',
    assetsDir: 'assets',
    sourcemap: false,
    // scripts/sizes.mjs reads it to sum what the first page loads.
    manifest: true,
    // The server's CSP allows no inline script or style: keep Vite from inlining anything.
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
  },
  server: {
    proxy: {
      '/v1': { target, changeOrigin: false },
    },
  },
  test: {
    environment: 'jsdom',
    include: ['src/**/*.test.{ts,tsx}'],
    setupFiles: ['src/test-setup.ts'],
  },
});
