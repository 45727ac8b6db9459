// Entry of the listener thread of `sysgate serve` (serve/listener.ts; a file of its own so that
// the build's bundle and tsc put it at the same path, next to main.js).

import { parentPort, workerData } from "node:worker_threads";
import { listen } from "./serve/listener.js";

const port = parentPort!;
listen((workerData as { listenFd: number }).listenFd, (m) => port.postMessage(m));
