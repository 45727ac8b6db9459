// /proc/<pid>/maps and /proc/<pid>/statm (fs/proc/task_mmu.c): the process's VMAs as Linux prints them.

import { PROT_EXEC, PROT_READ, PROT_WRITE } from "../../uapi/asm-generic/mman-common.js";
import type { ProcMm } from "./task_view.js";

const hex = (v: bigint | number, width: number): string => v.toString(16).padStart(width, "0");

/**
 * show_map_vma: `start-end perms offset major:minor inode`, padded to 25 + 6 * sizeof(void *) - 1
 * columns (72: the kernel is 64-bit even for an i386 task) before the name; no padding without one.
 * A file mapping shows its vm_pgoff as a byte offset and the device and inode of the file it
 * holds open, and its path with " (deleted)" once the file has no name left (d_path).
 */
export function showMaps(mm: ProcMm): string {
  let out = "";
  const vmas = [...mm.vmas].sort((a, b) => (a.start < b.start ? -1 : 1));
  for (const v of vmas) {
    const perms = `${v.prot & PROT_READ ? "r" : "-"}${v.prot & PROT_WRITE ? "w" : "-"}${v.prot & PROT_EXEC ? "x" : "-"}${v.shared ? "s" : "p"}`;
    let id = { major: 0, minor: 0, ino: 0n };
    let name = v.name;
    if (v.file) {
      try {
        const st = v.file.stat();
        id = { major: st.devMajor, minor: st.devMinor, ino: st.ino };
        if (st.nlink === 0 && name !== "") name += " (deleted)";
      } catch { /* a host file that cannot be stat'ed: the numbers stay 0 */ }
    }
    const offset = v.file ? (v.pgoff ?? 0n) * PAGE : 0n;
    let line = `${hex(v.start, 8)}-${hex(v.end, 8)} ${perms} ${hex(offset, 8)} ${hex(id.major, 2)}:${hex(id.minor, 2)} ${id.ino} `;
    if (name !== "") line = line.padEnd(72) + " " + name;
    out += line + "\n";
  }
  return out;
}

const PAGE = 4096n;

/** Pages of the whole address space, of the program's text, and of data + stack (task_statm). */
export function vmSizes(mm: ProcMm): { size: bigint; text: bigint; data: bigint; stack: bigint; exe: bigint } {
  let size = 0n, text = 0n, data = 0n, stack = 0n;
  for (const v of mm.vmas) {
    const pages = (v.end - v.start) / PAGE;
    size += pages;
    if (v.name === "[stack]") stack += pages;
    else if (v.prot & PROT_EXEC && v.name.startsWith("/")) text += pages;
    else if (v.prot & PROT_WRITE) data += pages;
  }
  return { size, text, data: data + stack, stack, exe: text };
}

/** task_statm: `size resident shared text lib data dt`, in pages. */
export function showStatm(mm: ProcMm): string {
  const s = vmSizes(mm);
  return `${s.size} ${mm.residentPages} 0 ${s.text} 0 ${s.data} 0\n`;
}
