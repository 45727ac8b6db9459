#!/usr/bin/env node
// sysgate's entry. A command that runs a program starts loading the CPU engine's library on a
// thread of its own first (preload.ts): that takes 10-30 ms, while the command line's own
// modules, loaded next, take as long to compile on this thread.

import { setFlagsFromString } from "node:v8";
import { preloadUnicorn } from "../cpu/preload.js";

// V8 optimizes a function once it has run for a while (its interrupt budget, ~132 KB of bytecode
// executed by default). A sysgate run is short and its kernel paths are many: the optimizing
// compiler's threads took ~30% of the CPU time of the 200-iteration `$(echo x)` loop
// (test/bench/rows_processes.ts) and won back less. A budget about eight times larger cut that
// loop's CPU time by ~25%; the 2,000,000-getppid and sha256sum rows stayed as fast (measured).
setFlagsFromString("--interrupt-budget=1048576");

if (["run", "trace", "step"].includes(process.argv[2] ?? "")) preloadUnicorn();
await import("./cli.js");
