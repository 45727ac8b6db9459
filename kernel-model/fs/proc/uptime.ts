// /proc/uptime, /proc/loadavg and /proc/stat (fs/proc/uptime.c, loadavg.c, stat.c): the clock and
// the process counts; one CPU that is never idle and has no load history.

import type { ProcSource } from "./task_view.js";

const centis = (ns: bigint): string => `${ns / 1_000_000_000n}.${((ns / 10_000_000n) % 100n).toString().padStart(2, "0")}`;

export function showUptime(src: ProcSource): string {
  return `${centis(src.monotonicNs())} 0.00\n`;
}

/** `1min 5min 15min running/total last_pid`. */
export function showLoadavg(src: ProcSource): string {
  const tasks = src.tasks();
  const running = tasks.filter((t) => t.state === "R").length;
  const last = tasks.reduce((m, t) => Math.max(m, t.pid), 0);
  return `0.00 0.00 0.00 ${running}/${tasks.length} ${last}\n`;
}

/** show_stat: the CPU times (USER_HZ ticks), boot time and process counts. */
export function showProcStat(src: ProcSource): string {
  const ticks = src.monotonicNs() / 10_000_000n;
  const cpu = `${ticks} 0 0 0 0 0 0 0 0 0`;
  const tasks = src.tasks();
  const btime = (src.realtimeNs() - src.monotonicNs()) / 1_000_000_000n;
  return `cpu  ${cpu}\ncpu0 ${cpu}\nintr 0\nctxt 0\nbtime ${btime}\nprocesses ${tasks.length}\n` +
    `procs_running ${tasks.filter((t) => t.state === "R").length}\nprocs_blocked 0\nsoftirq 0 0 0 0 0 0 0 0 0 0 0\n`;
}
