// `sysgate run -g PORT` / `--gdb-unix PATH`: the program is brought to its first user
// instruction, then sysgate waits for gdb (as `qemu-x86_64 -g` does) and serves the remote
// protocol until gdb kills the program, detaches, or the program ends. The socket lives in a
// worker thread (connection_worker.ts); this thread runs the machine and the stub, waiting for
// packets synchronously between runs.

import { existsSync } from "node:fs";
import { MessageChannel, Worker, receiveMessageOnPort, type MessagePort } from "node:worker_threads";
import type { ExitState } from "../../kernel-model/linux.js";
import { UsageError } from "../cli/usage.js";
import type { Machine } from "../machine.js";
import { CTRL, type FromWorker, type ToWorker, type WorkerConfig } from "./channel.js";
import { GdbStub } from "./stub.js";
import { Target } from "./target.js";

export interface GdbListen { port?: number; path?: string }

export interface GdbSessionEnd {
  state: ExitState;
  /** Why the run ended early, for the user: gdb killed it, or went away. */
  note?: string;
}

/** How long to wait for gdb to hang up after the program ended or gdb detached. */
const GOODBYE_MS = 2000;

class Channel {
  readonly ctrl = new Int32Array(new SharedArrayBuffer(4 * 4));
  private readonly port: MessagePort;
  private readonly worker: Worker;

  constructor(listen: GdbListen) {
    const { port1, port2 } = new MessageChannel();
    this.port = port1;
    const cfg: WorkerConfig & { port: MessagePort } = { ctrl: this.ctrl.buffer as SharedArrayBuffer, listen, port: port2 };
    this.worker = new Worker(workerFile(), { workerData: cfg, transferList: [port2] });
    this.worker.unref();
  }

  /** The next message from the connection thread (undefined after `timeoutMs`). */
  next(timeoutMs = Infinity): FromWorker | undefined {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const seq = Atomics.load(this.ctrl, CTRL.seq);
      const m = receiveMessageOnPort(this.port);
      if (m) return m.message as FromWorker;
      const left = deadline - Date.now();
      if (left <= 0) return undefined;
      Atomics.wait(this.ctrl, CTRL.seq, seq, Math.min(left, 1000));
    }
  }

  send(m: ToWorker): void {
    this.port.postMessage(m);
  }

  async close(): Promise<void> {
    this.send({ t: "close" });
    // let the thread flush the last reply and close the socket, then make sure it is gone
    await new Promise((r) => setTimeout(r, 50));
    await this.worker.terminate();
  }
}

export async function serveGdb(machine: Machine, listen: GdbListen, log: (line: string) => void): Promise<GdbSessionEnd> {
  const ch = new Channel(listen);
  try {
    const target = new Target(machine, () => Atomics.load(ch.ctrl, CTRL.interrupt) === 1);
    target.bootFirst();
    const first = ch.next();
    if (first?.t !== "listening") throw new UsageError(`cannot listen on ${where(listen)}: ${first?.t === "error" ? first.message : "no answer"}`);
    log(`sysgate: waiting for gdb on ${first.where} (in gdb: target remote ${listen.path ?? first.where.replace(/^127\.0\.0\.1/, "localhost")})`);
    const hello = ch.next();
    if (hello?.t !== "connected") throw new UsageError(`gdb connection failed: ${hello?.t === "error" ? hello.message : hello?.t}`);
    const stub = new GdbStub(target, {
      running: (on) => {
        if (on) {
          ch.send({ t: "engines", words: target.engineStopWords() });
          Atomics.store(ch.ctrl, CTRL.running, 1);
        } else {
          Atomics.store(ch.ctrl, CTRL.running, 0);
          if (!Atomics.load(ch.ctrl, CTRL.closed)) Atomics.store(ch.ctrl, CTRL.interrupt, 0);
        }
      },
      noAck: () => { noAck = true; },
    });
    let noAck = false;
    for (;;) {
      const m = ch.next(stub.outcome ? GOODBYE_MS : Infinity);
      if (!m) break; // the program is over and gdb stays connected: stop waiting for it
      if (m.t === "closed") break;
      if (m.t === "interrupt") {
        // seen while stopped: a late one, the stop it asked for was already reported
        if (!Atomics.load(ch.ctrl, CTRL.closed)) Atomics.store(ch.ctrl, CTRL.interrupt, 0);
        continue;
      }
      if (m.t !== "packet") continue;
      const reply = stub.handle(Buffer.from(m.data));
      if (reply !== undefined) ch.send({ t: "send", data: typeof reply === "string" ? Buffer.from(reply, "latin1") : reply });
      if (noAck) {
        ch.send({ t: "noack" });
        noAck = false;
      }
    }
    const o = stub.outcome;
    if (!o && !target.tasks().length) {
      // gdb followed a child to its end and left: the processes it detached from run on
      return { state: target.runToEnd() };
    }
    if (!o) {
      // gdb went away while the program was alive: it is killed, as when gdb quits
      return { state: target.kill(), note: "gdb closed the connection: the program was killed" };
    }
    if (o.how === "killed") return { state: o.state, note: "killed by gdb" };
    if (o.how === "detached") return { state: target.runToEnd() };
    return { state: o.state };
  } finally {
    await ch.close();
  }
}

/**
 * The worker's module as tsc emitted it (dist/emulator/gdb/): beside this file, or, when this
 * code runs from the bundled command line (dist/emulator/cli/chunks/), two folders up.
 */
function workerFile(): URL {
  for (const rel of ["./connection_worker.js", "../../gdb/connection_worker.js", "../gdb/connection_worker.js"]) {
    const u = new URL(rel, import.meta.url);
    if (existsSync(u)) return u;
  }
  throw new Error("emulator/gdb/connection_worker.js not found next to the build");
}

const where = (l: GdbListen) => l.path ?? `127.0.0.1:${l.port}`;
