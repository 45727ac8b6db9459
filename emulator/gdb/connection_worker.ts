// The gdb connection, in a worker thread: the machine runs synchronously on the main thread, so
// something else must keep reading the socket while the guest runs, to see the interrupt byte
// (Ctrl-C in gdb) or gdb going away, and stop the CPU. This thread owns the socket: it listens
// on 127.0.0.1 (or a unix socket), accepts one gdb, acknowledges and frames packets
// (packet.ts), hands each packet to the main thread and sends what the main thread answers.
// To stop a running guest it sets the engines' stop-request words (emulator/cpu/stop_request.ts):
// each engine then stops itself at its next block.

import { createServer, type Server, type Socket } from "node:net";
import { workerData, type MessagePort } from "node:worker_threads";
import { PacketReader, frame } from "./packet.js";
import { CTRL, type FromWorker, type ToWorker, type WorkerConfig } from "./channel.js";
import { requestStop } from "../cpu/stop_request.js";

const cfg = workerData as WorkerConfig;
const ctrl = new Int32Array(cfg.ctrl);
const port = (workerData as { port: MessagePort }).port;

let engines: SharedArrayBuffer[] = [];
let stopTimer: NodeJS.Timeout | undefined;

function post(m: FromWorker): void {
  port.postMessage(m);
  Atomics.add(ctrl, CTRL.seq, 1);
  Atomics.notify(ctrl, CTRL.seq);
}

/** Asks whichever engine runs to stop, again every few ms until the main thread has seen the request. */
function stopGuest(): void {
  const kick = () => {
    if (!Atomics.load(ctrl, CTRL.interrupt) || !Atomics.load(ctrl, CTRL.running)) {
      clearInterval(stopTimer);
      stopTimer = undefined;
      return;
    }
    for (const e of engines) requestStop(e);
  };
  kick();
  stopTimer ??= setInterval(kick, 5);
}

let sock: Socket | undefined;
let ackMode = true;
let lastSent: Buffer | undefined;
const reader = new PacketReader();

function send(data: Buffer): void {
  const f = frame(data);
  lastSent = f;
  sock?.write(f);
}

function closed(): void {
  if (Atomics.load(ctrl, CTRL.closed)) return;
  Atomics.store(ctrl, CTRL.closed, 1);
  Atomics.store(ctrl, CTRL.interrupt, 1);
  stopGuest();
  post({ t: "closed" });
}

const server: Server = createServer({ allowHalfOpen: false }, (s) => {
  if (sock) { s.destroy(); return; } // one debugger at a time, as gdbserver
  sock = s;
  s.setNoDelay(true);
  server.close(); // nobody else may connect
  post({ t: "connected", peer: `${s.remoteAddress ?? cfg.listen.path}${s.remotePort ? `:${s.remotePort}` : ""}` });
  s.on("data", (chunk) => {
    for (const ev of reader.push(chunk)) {
      switch (ev.kind) {
        case "packet":
          if (ackMode) s.write("+");
          post({ t: "packet", data: ev.data });
          break;
        case "bad-checksum":
          if (ackMode) s.write("-");
          break;
        case "nak":
          if (lastSent) s.write(lastSent);
          break;
        case "interrupt":
          Atomics.store(ctrl, CTRL.interrupt, 1);
          stopGuest();
          post({ t: "interrupt" });
          break;
        case "ack":
          break;
      }
    }
  });
  s.on("error", () => closed());
  s.on("close", () => closed());
});
server.on("error", (e) => post({ t: "error", message: (e as Error).message }));

port.on("message", (m: ToWorker) => {
  switch (m.t) {
    case "send": send(Buffer.from(m.data)); break;
    case "noack": ackMode = false; break;
    case "engines": engines = m.words; break;
    case "close":
      clearInterval(stopTimer);
      if (sock) sock.end(() => sock?.destroy());
      server.close();
      port.close();
      break;
  }
});

if (cfg.listen.path !== undefined) server.listen(cfg.listen.path, () => post({ t: "listening", where: cfg.listen.path! }));
else {
  server.listen(cfg.listen.port, "127.0.0.1", () => {
    const a = server.address();
    post({ t: "listening", where: typeof a === "object" && a ? `127.0.0.1:${a.port}` : String(a) });
  });
}
