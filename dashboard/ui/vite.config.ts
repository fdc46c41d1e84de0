import { fileURLToPath } from 'node:url'
import react from '@vitejs/plugin-react'
import { defineConfig } from 'vite'

// `npm run dev:ui` serves the UI with hot reload and passes API calls to a running Peregrine
// (PEREGRINE_API, default the all-in-one dashboard at http://127.0.0.1:8080): same origin in the
// browser, as in production.
const api = process.env.PEREGRINE_API ?? 'http://127.0.0.1:8080'

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  plugins: [react()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    // The initial bundle is budgeted at 300 KB gzip (dashboard/ui/test/bundle.test.ts); pages load on demand.
    chunkSizeWarningLimit: 400,
  },
  server: {
    proxy: { '/api': api, '/ack': api, '/healthz': api },
  },
})
