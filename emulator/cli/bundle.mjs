// Build step after tsc: the command line as one bundled module (esbuild) written over tsc's
// dist/emulator/cli/main.js. Node then reads and compiles one file at start-up instead of
// resolving and loading ~150 modules, which was most of the time a small program took.
// `sysgate step` and `sysgate trace` stay separate chunks loaded when asked for, and the npm
// packages with files of their own to find (koffi's native addon, Capstone's .wasm) or with
// many modules only the UI needs (ink, React) are loaded from node_modules as before.
// Node's built-in modules are loaded with require(), not import: the ESM wrapper of a built-in
// reads every export once, and node:fs's getters alone load the streams (several ms at each
// start for nothing).

import { build } from "esbuild";
import { builtinModules } from "node:module";
import { rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const outdir = join(root, "dist", "emulator", "cli");
rmSync(join(outdir, "chunks"), { recursive: true, force: true });

const builtins = new Set(builtinModules);
/** `import ... from "node:fs"` becomes a CommonJS module of one line, `require("node:fs")`. */
const builtinsByRequire = {
  name: "builtins-by-require",
  setup(b) {
    b.onResolve({ filter: /^(node:)?[a-z_/]+$/ }, (a) => {
      const name = a.path.replace(/^node:/, "");
      if (!builtins.has(name)) return undefined;
      if (a.namespace === "builtin" || a.kind !== "import-statement") return { path: `node:${name}`, external: true };
      return { path: name, namespace: "builtin" };
    });
    b.onLoad({ filter: /.*/, namespace: "builtin" }, (a) => ({ contents: `module.exports = require("node:${a.path}");`, loader: "js" }));
  },
};
await build({
  entryPoints: { main: join(root, "emulator", "cli", "main.ts") },
  outdir,
  chunkNames: "chunks/[name]-[hash]",
  bundle: true,
  splitting: true,
  format: "esm",
  platform: "node",
  target: "node20",
  // react-devtools-core: an optional import of ink (only with DEV=true), not installed
  external: ["koffi", "@alexaltea/capstone-js", "react-devtools-core"],
  // React and ink bundled in production mode: the development build checks and warns at every render
  define: { "process.env.NODE_ENV": "\"production\"" },
  sourcemap: true,
  logLevel: "warning",
  plugins: [builtinsByRequire],
  // the built-ins above, and the CommonJS packages bundled (React), call require()
  banner: { js: "import { createRequire as __sgCreateRequire } from 'node:module'; const require = __sgCreateRequire(import.meta.url);" },
});
