#!/usr/bin/env node
// sysgate's entry. A command that runs a program starts loading the CPU engine's library on a
// thread of its own first (preload.ts): that takes 10-30 ms, while the command line's own
// modules, loaded next, take as long to compile on this thread.

import { preloadUnicorn } from "../cpu/preload.js";

if (["run", "trace", "step"].includes(process.argv[2] ?? "")) preloadUnicorn();
await import("./cli.js");
