import { defineConfig } from "vite";

// The Circles server serves web/dist at "/" (index.html) and "/assets/". During `npm run dev`
// the API and Socket.IO are proxied to a server on CIRCLES_SERVER (default localhost:8000).
const server = process.env.CIRCLES_SERVER ?? "http://127.0.0.1:8000";

export default defineConfig({
  base: "./",
  build: { outDir: "dist", assetsDir: "assets", emptyOutDir: true, sourcemap: true },
  server: {
    proxy: {
      "/api": server,
      "/healthz": server,
      "/socket.io": { target: server, ws: true },
    },
  },
});
