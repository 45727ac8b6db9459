// One request of `sysgate serve`, run in a worker thread that has sysgate's modules and the
// engine's library loaded already: the run `sysgate run` would make, with the client's argv,
// environment, working directory, pid and umask, and the client's own fds 0, 1 and 2 as the
// guest's. Whatever goes wrong (a bad option, a missing or broken program, a bug) ends as
// `sysgate run` would end, on this client's stderr and status only. The passed descriptors are
// closed when the run ends.

import { writeSync } from "node:fs";
import { signalPending } from "../../../kernel-model/sched/signal.js";
import { forgetFifos } from "../../../kernel-model/fs/fifo.js";
import { forgetTerminalSettings } from "../../../kernel-model/fs/tty.js";
import { HostSignals, runWithHost } from "../../host_signals.js";
import { Machine } from "../../machine.js";
import { exitStatus, failureStatus, parseRunArgs } from "../run.js";
import { UsageError } from "../usage.js";
import { ClientStdioFile } from "./client_stdio.js";
import { closeFd } from "./unix_socket.js";
import type { Request } from "./protocol.js";
import { clockMs } from "./clock.js";
import type { WarmKernels } from "../../warm_kernels.js";

/** Writes all of `text` to `fd` (a client's stderr), or as much as it takes. */
function sayTo(fd: number | undefined): (text: string) => void {
  return (text) => {
    if (fd === undefined) return;
    const b = Buffer.from(text);
    for (let done = 0; done < b.length;) {
      try {
        done += writeSync(fd, b, done);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== "EAGAIN") return; // a closed pipe: nobody reads it
      }
    }
  };
}

/** The client's environment strings as the environment --env NAME copies from. */
function envObject(env: readonly string[]): NodeJS.ProcessEnv {
  const o: NodeJS.ProcessEnv = {};
  for (const s of env) {
    const eq = s.indexOf("=");
    if (eq > 0 && !(s.slice(0, eq) in o)) o[s.slice(0, eq)] = s.slice(eq + 1);
  }
  return o;
}

/** When each stage of a request ended (clockMs), for SYSGATE_SERVE_TIMING=1. */
export interface Stages { begin: number; created?: number; ran?: number; closed?: number; warm?: boolean }

/**
 * Runs `req` to its end and gives its exit status. `mailbox` is where the server's main thread
 * leaves the signals the client forwards (HostSignals), `stop` the stop-request buffer it sets
 * then, which the run's engines take (emulator/cpu/stop_request.ts); `stages` gets the time each
 * stage ended. With `warm`, the run takes a booted kernel from there and gives it back once every
 * process of the run has ended.
 */
export async function serveRequest(req: Request, mailbox: Int32Array, stop: SharedArrayBuffer, stages: Stages = { begin: clockMs() },
  warm?: WarmKernels): Promise<number> {
  const say = sayTo(req.stdio[2]);
  try {
    if (req.argv[0] !== "run") throw new UsageError(`only 'run' is served, not '${req.argv[0] ?? ""}'`);
    const args = parseRunArgs(req.argv.slice(1), "run", { cwd: req.cwd, env: envObject(req.env) });
    if (args.gdb) throw new UsageError("run: -g and --gdb-unix are not served: use sysgate run for a debugger");
    let machine: Machine | undefined;
    let host: HostSignals | undefined;
    // a host read that waits gives up when the client sent a signal or one is pending anyway
    const interrupted = () => {
      if (host?.pending()) return true;
      const t = machine?.kstate.sched.current;
      return t !== undefined && signalPending(t);
    };
    const stdio = req.stdio.map((fd, i) => (fd === undefined ? undefined : new ClientStdioFile(fd, i, interrupted)));
    machine = await Machine.create(args.path, {
      ...args.options,
      stdio: [stdio[0], stdio[1], stdio[2]],
      warn: (m) => say(`${m}\n`),
      hostProcess: { pid: req.pid, ppid: req.ppid, umask: req.umask },
      warm,
      stopRequest: stop,
    });
    stages.created = clockMs();
    stages.warm = machine.warmKernels > 0;
    try {
      host = new HostSignals(machine.kstate.clock, mailbox);
      const st = await runWithHost(machine, host);
      stages.ran = clockMs();
      return exitStatus(st, say);
    } finally {
      machine.close();
      stages.closed = clockMs();
    }
  } catch (e) {
    return failureStatus(e, say);
  } finally {
    for (const fd of req.stdio) if (fd !== undefined) closeFd(fd);
    // what this thread's modules keep for the run's open files: the next request starts without it
    forgetTerminalSettings();
    forgetFifos();
  }
}
