// Entry of a runner thread of `sysgate serve` (serve/runner.ts runs the requests; a file of its
// own so that the build's bundle and tsc put it at the same path, next to main.js). Before it
// says it is ready it runs one small program, so that the engine's library is loaded, the
// boot and syscall paths are compiled and a booted kernel is kept (emulator/warm_kernels.ts) by
// the time the first client's program comes.

import { parentPort, workerData } from "node:worker_threads";
import { projectFile } from "../../kernel-model/tables/data_path.js";
import { Machine } from "../machine.js";
import { WarmKernels } from "../warm_kernels.js";
import type { Request } from "./serve/protocol.js";
import { clockMs } from "./serve/clock.js";
import { serveRequest, type Stages } from "./serve/runner.js";

const port = parentPort!;
/** `stop`: the stop-request buffer the main thread sets to stop this runner's guest (serve.ts). */
const data = workerData as { mailbox: SharedArrayBuffer; stop: SharedArrayBuffer };
const mailbox = new Int32Array(data.mailbox);

/** This runner's booted kernels, kept between requests (a request is a new process tree in one). */
const warm = new WarmKernels();

try {
  const m = await Machine.create(projectFile("samples", "bin", "x86_64", "hello-glibc"), {
    deterministic: false, env: [], captureOutput: true, warnUnimplemented: false, warm, stopRequest: data.stop,
  });
  try { m.runToEnd(); } finally { m.close(); }
} catch {
  // a warm-up only: a real request reports whatever is wrong
}

port.on("message", (m: { id: number; request: Request }) => {
  const stages: Stages = { begin: clockMs() };
  void serveRequest(m.request, mailbox, data.stop, stages, warm).then((status) => port.postMessage({ id: m.id, status, stages }));
});
port.postMessage({ ready: true });
