// Every service routine sysgate implements, keyed by kernel entry-point name. The dispatch
// tables (table.ts) pick from here by the names their .tbl rows give.

import { archPrctlFamily } from "./arch/arch_prctl.js";
import { tlsFamily } from "./arch/tls.js";
import { fsSyscalls } from "./fs/index.js";
import { credFamily } from "./kernel/cred.js";
import { execFamily } from "./kernel/exec.js";
import { exitFamily } from "./kernel/exit.js";
import { forkFamily } from "./kernel/fork.js";
import { futexFamily } from "./kernel/futex.js";
import { waitFamily } from "./kernel/wait.js";
import { pipeSyscalls } from "./fs/pipe.js";
import { randomFamily } from "./kernel/random.js";
import { personalityFamily } from "./kernel/personality.js";
import { resourceFamily } from "./kernel/resource.js";
import { schedPolicyFamily } from "./kernel/sched_policy.js";
import { schedFamily } from "./kernel/sched.js";
import { signalFamily } from "./kernel/signal.js";
import { sysFamily } from "./kernel/sys.js";
import { taskStateFamily } from "./kernel/task_state.js";
import { timeFamily } from "./kernel/time.js";
import { mmapFamily } from "./mm/mmap.js";
import { compatFamily } from "./compat.js";
import { unsupportedSyscalls } from "./unsupported.js";
import type { SyscallFamily } from "./types.js";

const families: Record<string, SyscallFamily> = {
  fs: fsSyscalls, pipe: pipeSyscalls, fork: forkFamily, cred: credFamily, exec: execFamily, wait: waitFamily, mm: mmapFamily, sys: sysFamily, exit: exitFamily, signal: signalFamily, time: timeFamily,
  task: taskStateFamily, random: randomFamily, sched: schedFamily, arch: archPrctlFamily, tls: tlsFamily,
  resource: resourceFamily, futex: futexFamily, schedPolicy: schedPolicyFamily, personality: personalityFamily,
  unsupported: unsupportedSyscalls,
};

function merge(): SyscallFamily {
  const out: Record<string, SyscallFamily[string]> = {};
  for (const [family, routines] of Object.entries(families)) {
    for (const [entry, impl] of Object.entries(routines)) {
      if (out[entry]) throw new Error(`syscalls: ${entry} is implemented twice (family ${family})`);
      out[entry] = impl;
    }
  }
  return out;
}

const native = merge();
/** The native routines plus the compat entries of ia32_sys_call_table that reuse them (compat.ts). */
export const allSyscalls: SyscallFamily = { ...native, ...compatFamily(native) };
