// Build step after tsc: the command line as one bundled module (esbuild) written over tsc's
// dist/emulator/cli/main.js. Node then reads and compiles one file at start-up instead of
// resolving and loading ~150 modules, which was most of the time a small program took.
// `sysgate step` and `sysgate trace` stay separate chunks loaded when asked for, and the npm
// packages with files of their own to find (koffi's native addon, Capstone's .wasm) or with
// many modules only the UI needs (ink, React) are loaded from node_modules as before.
// Node's built-in modules and koffi are loaded with require(), not import: the ESM wrapper of a
// built-in reads every export once (node:fs's getters alone loaded the streams, several ms at
// each start for nothing), and a CommonJS package imported from ESM is resolved through its
// package.json and scanned for its export names first.

import { build } from "esbuild";
import { builtinModules } from "node:module";
import { rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const outdir = join(root, "dist", "emulator", "cli");
rmSync(join(outdir, "chunks"), { recursive: true, force: true });

const builtins = new Set(builtinModules);
/** CommonJS packages left in node_modules that every command loads (koffi's addon). */
const requiredPackages = new Set(["koffi"]);
/**
 * `import ... from "node:fs"` (or "koffi") becomes a CommonJS module of one line,
 * `require("node:fs")`: no ESM wrapper to build, and for a package no resolution through its
 * package.json exports nor a scan of its source for the names it exports.
 */
const byRequire = {
  name: "by-require",
  setup(b) {
    b.onResolve({ filter: /^(node:)?[a-z_/]+$/ }, (a) => {
      const name = requiredPackages.has(a.path) ? a.path : a.path.replace(/^node:/, "");
      const spec = requiredPackages.has(name) ? name : builtins.has(name) ? `node:${name}` : undefined;
      if (spec === undefined) return undefined;
      if (a.namespace === "by-require" || a.kind !== "import-statement") return { path: spec, external: true };
      return { path: spec, namespace: "by-require" };
    });
    b.onLoad({ filter: /.*/, namespace: "by-require" }, (a) => ({ contents: `module.exports = require(${JSON.stringify(a.path)});`, loader: "js" }));
  },
};
await build({
  // the threads of `sysgate serve` start from files of their own, at the same paths as tsc's
  entryPoints: {
    main: join(root, "emulator", "cli", "main.ts"),
    serve_runner: join(root, "emulator", "cli", "serve_runner.ts"),
    serve_listener: join(root, "emulator", "cli", "serve_listener.ts"),
  },
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
  // Blanks and redundant syntax out, names kept: V8 parses every byte of a module before it runs
  // (the main chunk compiled in 56 ms instead of 30 on a loaded machine). A stack trace maps back
  // to the sources with NODE_OPTIONS=--enable-source-maps.
  minifyWhitespace: true,
  minifySyntax: true,
  sourcemap: true,
  logLevel: "warning",
  plugins: [byRequire],
  // the built-ins above, and the CommonJS packages bundled (React), call require()
  banner: { js: "import { createRequire as __sgCreateRequire } from 'node:module'; const require = __sgCreateRequire(import.meta.url);" },
});
