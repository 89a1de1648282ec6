// The console is built into LATCHKEY_CONSOLE_OUT (the CMake build tree) and
// embedded into latchkeyd; nothing built is committed. The output must obey
// the server's CSP (default-src 'self'): no inline script, no data: URIs.
import { defineConfig } from "vite";

export default defineConfig({
  base: "/console/",
  esbuild: { jsx: "automatic", jsxImportSource: "preact" },
  build: {
    outDir: process.env.LATCHKEY_CONSOLE_OUT ?? "dist",
    emptyOutDir: true,
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
    sourcemap: false,
    reportCompressedSize: false,
  },
});
