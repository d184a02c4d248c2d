import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

// In development, Vite proxies the API and sockets to a running `pnpm nslab serve` (NSLAB_SERVER).
const server = process.env.NSLAB_SERVER ?? 'http://127.0.0.1:7070';

export default defineConfig({
  plugins: [react()],
  build: { outDir: 'dist', sourcemap: true, chunkSizeWarningLimit: 2000 },
  server: { proxy: { '/api': { target: server, ws: true, changeOrigin: false } } },
});
