// /proc/meminfo (fs/proc/meminfo.c): the guest's RAM bound as MemTotal, its frames in use subtracted for MemFree.

import type { ProcSource } from "./task_view.js";

/** show_val_kb: the name padded to 16 columns, the value to 8, then " kB". */
const line = (name: string, bytes: number): string => `${`${name}:`.padEnd(16)}${String(Math.floor(bytes / 1024)).padStart(8)} kB\n`;

export function showMeminfo(src: ProcSource): string {
  const { total, used } = src.memory();
  const free = total - used;
  const rows: [string, number][] = [
    ["MemTotal", total], ["MemFree", free], ["MemAvailable", free], ["Buffers", 0], ["Cached", 0],
    ["SwapCached", 0], ["Active", used], ["Inactive", 0], ["Active(anon)", used], ["Inactive(anon)", 0],
    ["Active(file)", 0], ["Inactive(file)", 0], ["Unevictable", 0], ["Mlocked", 0], ["SwapTotal", 0],
    ["SwapFree", 0], ["Dirty", 0], ["Writeback", 0], ["AnonPages", used], ["Mapped", 0], ["Shmem", 0],
    ["KReclaimable", 0], ["Slab", 0], ["SReclaimable", 0], ["SUnreclaim", 0], ["KernelStack", 0],
    ["PageTables", 0], ["CommitLimit", total], ["Committed_AS", used], ["VmallocTotal", 0], ["VmallocUsed", 0],
  ];
  return rows.map(([n, v]) => line(n, v)).join("");
}
