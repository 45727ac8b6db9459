// What a command-line run inherits from the host process, as a child of the user's shell would:
// its umask, its host name, and which of the standard fds the shell left closed (`prog <&-`).

import { readFileSync, readlinkSync } from "node:fs";
import { hostname } from "node:os";

/** The host process's umask, read without changing it (/proc/self/status; 022 where unreadable). */
export function hostUmask(): number {
  try {
    const m = /^Umask:\s*([0-7]+)$/m.exec(readFileSync("/proc/self/status", "utf8"));
    if (m) return parseInt(m[1], 8);
  } catch { /* not Linux: fall through */ }
  return 0o022;
}

export function hostName(): string {
  return hostname();
}

/**
 * Was host fd `fd` (0, 1 or 2) closed when sysgate started? Node then opens /dev/null there
 * read-write; a shell's `</dev/null` or `>/dev/null` opens it read-only or write-only.
 */
export function hostStdioWasClosed(fd: number): boolean {
  try {
    if (readlinkSync(`/proc/self/fd/${fd}`) !== "/dev/null") return false;
    const flags = /^flags:\s*([0-7]+)$/m.exec(readFileSync(`/proc/self/fdinfo/${fd}`, "utf8"));
    return flags !== null && (parseInt(flags[1], 8) & 3) === 2; // O_RDWR
  } catch {
    return false;
  }
}

/**
 * The process `pid` that started sysgate or a serve client (usually the user's shell), as the
 * model's stand-in for the first process's parent shows it: pid, name, command line, program.
 * undefined when there is none to show: the parent is the host's init or nothing (sysgate is a
 * container's pid 1, where getppid() is 0 as for any init), or the host has no /proc.
 */
export function hostParent(pid: number): { pid: number; comm: string; cmdline: Buffer; exe: string } | undefined {
  if (!(pid > 1)) return undefined;
  const read = <T>(f: () => T, fallback: T): T => { try { return f(); } catch { return fallback; } };
  const comm = read(() => readFileSync(`/proc/${pid}/comm`, "utf8").trimEnd(), "");
  if (!comm) return undefined;
  return {
    pid, comm,
    cmdline: read(() => readFileSync(`/proc/${pid}/cmdline`), Buffer.from(`${comm}\0`)),
    exe: read(() => readlinkSync(`/proc/${pid}/exe`), ""),
  };
}
