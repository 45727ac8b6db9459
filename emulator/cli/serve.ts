// `sysgate serve [--socket PATH] [--workers N]`: a long-lived sysgate whose clients are the thin
// native sysgate-client (emulator/cli/client). A program started through a client pays for its
// own run only, not for starting Node and loading sysgate (~200 ms of every `sysgate run`): a
// test suite that runs one guest program per step is the user (README "sysgate serve").
//
// Threads: a listener (serve/listener.ts) accepts connections and reads each request with the
// client's fds 0-2; this main thread hands requests to runner threads (serve/runner.ts), one
// guest at a time each, since a guest that reads a host pipe blocks its thread (so the two
// clients of a host pipeline `c1 | c2` must run on two threads). Runners are started as they
// are needed, one kept idle and warm ahead of the next request, up to --workers; past that a
// request waits for a free one. This thread keeps the connection of each request: it passes on
// the signals the client forwards (a bit in the runner's mailbox, see host_signals.ts), sends
// SIGKILL to a guest whose client went away, and writes the exit status.

import { chmodSync, existsSync, lstatSync, mkdirSync, statSync, unlinkSync } from "node:fs";
import { connect, Socket } from "node:net";
import { dirname, join } from "node:path";
import { Worker } from "node:worker_threads";
import { projectFile } from "../../kernel-model/tables/data_path.js";
import { SIGKILL } from "../../kernel-model/uapi/asm/signal.js";
import { ERRNO_MESSAGE } from "../../kernel-model/errno.js";
import { INTERNAL_ERROR } from "./run.js";
import { UsageError, parseCount } from "./usage.js";
import type { Incoming } from "./serve/listener.js";
import { exitFrame, messageFrame } from "./serve/protocol.js";
import { closeFd, listenUnix } from "./serve/unix_socket.js";
import { clockMs } from "./serve/clock.js";
import { requestStop, STOP_REQUEST_SIZE } from "../cpu/stop_request.js";
import type { Stages } from "./serve/runner.js";
import { DEFAULT_WORKERS } from "./serve_defaults.js";


/**
 * Where client and server meet unless told: $SYSGATE_SOCKET, else $XDG_RUNTIME_DIR/sysgate.sock,
 * else /tmp/sysgate-$UID/sock (the client, sysgate-client.c, looks in the same places).
 */
export function defaultSocketPath(env: NodeJS.ProcessEnv = process.env): string {
  if (env.SYSGATE_SOCKET) return env.SYSGATE_SOCKET;
  if (env.XDG_RUNTIME_DIR) return join(env.XDG_RUNTIME_DIR, "sysgate.sock");
  return join("/tmp", `sysgate-${process.getuid?.() ?? 0}`, "sock");
}

/** How long a stopping server waits for its guests to end (ms). */
const SHUTDOWN_WAIT_MS = 2_000;

/** `stop`: the runner's engines' stop-request buffer (emulator/cpu/stop_request.ts). */
interface Runner { worker: Worker; mailbox: Int32Array; stop: SharedArrayBuffer; ready: boolean; job: Job | undefined }
interface Job { id: number; conn: Socket; incoming: Incoming; runner: Runner | undefined; gone: boolean; signals: number }

export async function serveCommand(argv: string[]): Promise<number> {
  let path: string | undefined;
  let max = DEFAULT_WORKERS;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => {
      if (i + 1 >= argv.length) throw new UsageError(`serve: ${a} needs a value`);
      return argv[++i];
    };
    if (a === "--socket") path = value();
    else if (a === "--workers") max = parseCount("serve: --workers", value(), 1);
    else throw new UsageError(`serve: unknown argument '${a}' (usage: sysgate serve [--socket PATH] [--workers N])`);
  }
  const threadFile = (name: string) => projectFile("dist", "emulator", "cli", `${name}.js`);
  for (const name of ["serve_runner", "serve_listener"]) {
    if (!existsSync(threadFile(name))) throw new UsageError(`serve: ${threadFile(name)} is missing (npm run build)`);
  }
  const explicit = path !== undefined;
  path ??= defaultSocketPath();
  if (!explicit && !process.env.SYSGATE_SOCKET && !process.env.XDG_RUNTIME_DIR) privateDir(dirname(path));
  await clearStale(path);
  let listenFd: number;
  try {
    listenFd = listenUnix(path);
  } catch (e) {
    const errno = (e as NodeJS.ErrnoException).errno;
    throw new UsageError(`serve: cannot listen on ${path}: ${errno !== undefined ? ERRNO_MESSAGE[errno] ?? `errno ${errno}` : (e as Error).message}`);
  }
  chmodSync(path, 0o600); // only this user's clients: a request runs programs as us
  const socketPath = path;

  const runners: Runner[] = [];
  const queue: Job[] = [];
  let nextId = 1;
  // SYSGATE_SERVE_TIMING=1: one line per request on the server's stderr, where its time went
  const timing = process.env.SYSGATE_SERVE_TIMING === "1";
  const report = (job: Job, st: Stages) => {
    const ms = (a: number | undefined, b: number | undefined) => (a !== undefined && b !== undefined ? (b - a).toFixed(1) : "-");
    const { accepted, read } = job.incoming;
    process.stderr.write(`sysgate serve: request ${job.id} (${job.incoming.request.argv.slice(-3).join(" ").slice(0, 40)}): ` +
      `read ${ms(accepted, read)} ms, to a runner ${ms(read, st.begin)}, create ${ms(st.begin, st.created)}${st.warm ? " (warm kernel)" : ""}, run ${ms(st.created, st.ran)}, ` +
      `close ${ms(st.ran, st.closed)}, status sent ${ms(st.closed, clockMs())} (total ${ms(accepted, clockMs())} ms)\n`);
  };

  const spawn = () => {
    const mailbox = new Int32Array(new SharedArrayBuffer(4));
    const stop = new SharedArrayBuffer(STOP_REQUEST_SIZE);
    const worker = new Worker(threadFile("serve_runner"), { workerData: { mailbox: mailbox.buffer, stop } });
    const r: Runner = { worker, mailbox, stop, ready: false, job: undefined };
    runners.push(r);
    r.worker.on("message", (m: { ready?: true; id?: number; status?: number; stages?: Stages }) => {
      if (m.ready) {
        r.ready = true;
      } else if (r.job && m.id === r.job.id) {
        finish(r.job, m.status!);
        if (timing) report(r.job, m.stages!);
      }
      r.job = undefined;
      pump();
    });
    r.worker.on("error", (e) => process.stderr.write(`sysgate serve: a runner thread failed: ${e.stack ?? e}\n`));
    r.worker.on("exit", () => {
      runners.splice(runners.indexOf(r), 1);
      // its descriptors may be closed or not: left alone rather than closed twice
      if (r.job) finish(r.job, INTERNAL_ERROR, "sysgate: internal error: the thread that ran the program ended\n");
      r.job = undefined;
      pump();
    });
  };
  /** Starts what can start; keeps one idle runner warming up ahead of the next request. */
  const pump = () => {
    for (const r of runners) {
      if (!queue.length) break;
      if (r.ready && !r.job) start(r, queue.shift()!);
    }
    const idle = runners.filter((r) => !r.job).length;
    if ((idle === 0 || queue.length > idle) && runners.length < max) spawn();
  };
  const start = (r: Runner, job: Job) => {
    r.job = job;
    job.runner = r;
    Atomics.store(r.mailbox, 0, job.signals);
    r.worker.postMessage({ id: job.id, request: job.incoming.request });
  };
  const finish = (job: Job, status: number, message?: string) => {
    if (job.gone) return;
    job.gone = true;
    job.conn.end(message ? Buffer.concat([messageFrame(message), exitFrame(status)]) : exitFrame(status));
  };
  /** A signal from the client for its guest (before the guest starts: kept for it). */
  const signal = (job: Job, sig: number) => {
    if (sig < 1 || sig > 31) return;
    job.signals |= 1 << sig;
    const r = job.runner;
    if (!r) return;
    Atomics.or(r.mailbox, 0, 1 << sig);
    Atomics.notify(r.mailbox, 0);
    // A guest spinning without a syscall never looks at the mailbox: its engine is asked to stop
    // at its next block, and the run loop finds the signal (the timer interrupt delivers it)
    requestStop(r.stop);
  };

  const listener = new Worker(threadFile("serve_listener"), { workerData: { listenFd } });
  listener.on("error", (e) => {
    process.stderr.write(`sysgate serve: the listener failed: ${e.stack ?? e}\n`);
    shutdown(INTERNAL_ERROR);
  });
  listener.on("message", (incoming: Incoming) => {
    let conn: Socket;
    try {
      conn = new Socket({ fd: incoming.conn, readable: true, writable: true });
    } catch (e) {
      process.stderr.write(`sysgate serve: a connection could not be taken: ${(e as Error).message}\n`);
      for (const fd of [incoming.conn, ...incoming.request.stdio]) if (fd !== undefined) closeFd(fd);
      return;
    }
    const job: Job = { id: nextId++, conn, incoming, runner: undefined, gone: false, signals: 0 };
    let frames = Buffer.alloc(0);
    conn.on("data", (d: Buffer) => {
      frames = Buffer.concat([frames, d]);
      for (; frames.length >= 5; frames = frames.subarray(5)) {
        if (frames[0] === 0x53 /* 'S' */) signal(job, frames.readUInt32LE(1));
        else return conn.destroy(); // not the client's protocol: treated as gone
      }
    });
    conn.on("error", () => conn.destroy());
    conn.on("close", () => {
      if (job.gone) return;
      job.gone = true;
      // the client went away: its guest goes too (its output would go nowhere)
      if (job.runner) signal(job, SIGKILL);
      else {
        queue.splice(queue.indexOf(job), 1);
        for (const fd of incoming.request.stdio) if (fd !== undefined) closeFd(fd);
      }
    });
    queue.push(job);
    pump();
  });

  let ended = false;
  /**
   * The socket goes, every guest still running gets SIGKILL (so its machine is closed and its
   * scratch layer removed) and its client one line and 70; then the process exits. A runner that
   * does not finish within a moment (stuck in a host call) is not waited for: the signal that
   * ended the server is raised again with its default action.
   */
  const shutdown = (code: number, sig?: NodeJS.Signals) => {
    if (ended) return;
    ended = true;
    try { unlinkSync(socketPath); } catch { /* already gone */ }
    void listener.terminate();
    for (const job of [...queue.splice(0), ...runners.map((r) => r.job)]) {
      if (!job) continue;
      finish(job, INTERNAL_ERROR, "sysgate-client: the sysgate server was stopped before the program ended\n");
      if (job.runner) signal(job, SIGKILL);
      else for (const fd of job.incoming.request.stdio) if (fd !== undefined) closeFd(fd);
    }
    const deadline = Date.now() + SHUTDOWN_WAIT_MS;
    const check = () => {
      if (runners.every((r) => !r.job)) process.exit(code);
      if (Date.now() < deadline) return void setTimeout(check, 20);
      process.removeAllListeners(sig ?? "SIGTERM");
      process.kill(process.pid, sig ?? "SIGTERM");
    };
    check();
  };
  for (const sig of ["SIGINT", "SIGTERM", "SIGHUP"] as const) process.on(sig, () => shutdown(0, sig));
  pump(); // the first runner warms up before anyone asks
  process.stderr.write(`sysgate serve: listening on ${socketPath} (up to ${max} programs at once; clients: sysgate-client run ...)\n`);
  return new Promise<number>(() => { /* until a signal ends the server */ });
}

/** /tmp/sysgate-$UID: made private (0700) if missing; refused if it is anyone else's or open to others. */
function privateDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const st = lstatSync(dir);
  if (!st.isDirectory() || st.uid !== (process.getuid?.() ?? st.uid) || st.mode & 0o077) {
    throw new UsageError(`serve: ${dir} must be a directory of this user's, closed to others (mode 0700): it is not`);
  }
}

/** A socket file left by a server that is gone is removed; a live server there is an error. */
async function clearStale(path: string): Promise<void> {
  let st;
  try {
    st = statSync(path);
  } catch {
    return; // nothing there
  }
  if (!st.isSocket()) throw new UsageError(`serve: ${path} exists and is not a socket`);
  const alive = await new Promise<boolean>((resolve) => {
    const s = connect(path);
    s.on("connect", () => { s.destroy(); resolve(true); });
    s.on("error", () => resolve(false));
  });
  if (alive) throw new UsageError(`serve: a server already listens on ${path}`);
  unlinkSync(path);
}
