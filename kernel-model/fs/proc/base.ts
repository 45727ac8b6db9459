// /proc/<pid> (fs/proc/base.c): the directory of one guest process and what it holds. The model
// serves guest processes only; the host's own never show.

import * as fs from "node:fs";
import { E, Errno } from "../../errno.js";
import { DT_DIR, DT_LNK, DT_REG } from "../fcntl.js";
import type { DirEntry, File } from "../file.js";
import { StdioFile } from "../stdio_file.js";
import { showStat, showStatus } from "./array.js";
import { showMounts, type MountLine } from "./mounts.js";
import type { ProcNode, ProcOwner } from "./proc_file.js";
import { showMaps, showStatm } from "./task_mmu.js";
import type { ProcSource, ProcTask } from "./task_view.js";
import { O_CLOEXEC } from "../../uapi/asm-generic/fcntl.js";
import { S_IFIFO, S_IFMT, S_IFSOCK } from "../../uapi/linux/stat.js";

/** What /proc/<pid> needs besides the task: the mount table. */
export interface ProcBaseEnv {
  source: ProcSource;
  mounts(): MountLine[];
}

/** `ptrace`: the entry needs ptrace_may_access(PTRACE_MODE_READ) of the reader (proc_fd_access_allowed, mm_access). */
type Entry = { name: string; type: number; ptrace?: true; node: (t: ProcTask, owner: ProcOwner, ino: bigint) => ProcNode };

const text = (mode: number, make: (t: ProcTask) => string | Buffer) =>
  (t: ProcTask, owner: ProcOwner, ino: bigint): ProcNode =>
    ({ kind: "file", ino, mode, owner, content: () => { const v = make(t); return typeof v === "string" ? Buffer.from(v, "latin1") : v; } });

/** What a fd's link says (d_path, or the pseudo name of a file with none: `pipe:[ino]`). */
function fdTarget(file: File): string {
  if (file.path !== undefined) return file.path;
  if (file instanceof StdioFile) {
    // sysgate's own stdio: the host's name for it (a terminal, a pipe, /dev/null).
    try { return Buffer.from(fs.readlinkSync(`/proc/self/fd/${file.hostFd}`), "utf8").toString("latin1"); } catch { /* not Linux */ }
  }
  const st = file.stat();
  const type = st.mode & S_IFMT;
  return type === S_IFIFO ? `pipe:[${st.ino}]` : type === S_IFSOCK ? `socket:[${st.ino}]` : `anon_inode:[${st.ino}]`;
}

/** pid_entry tgid_base_stuff, in Linux's order, reduced to what the model can fill. */
function baseEntries(env: ProcBaseEnv): Entry[] {
  return [
    { name: "task", type: DT_DIR, node: (t, owner, ino) => ({ kind: "dir", ino, owner, children: () => [{ name: String(t.pid), ino: ino + 1n, type: DT_DIR }] }) },
    { name: "fd", type: DT_DIR, ptrace: true, node: (t, owner, ino) => ({ kind: "dir", ino, owner, children: () => t.fds().map(([fd]) => ({ name: String(fd), ino: fdIno(t.pid, "fd", fd), type: DT_LNK })) }) },
    { name: "fdinfo", type: DT_DIR, ptrace: true, node: (t, owner, ino) => ({ kind: "dir", ino, owner, children: () => t.fds().map(([fd]) => ({ name: String(fd), ino: fdIno(t.pid, "fdinfo", fd), type: DT_REG })) }) },
    { name: "environ", type: DT_REG, ptrace: true, node: text(0o400, (t) => t.mm?.environ() ?? "") },
    { name: "status", type: DT_REG, node: text(0o444, showStatus) },
    { name: "cmdline", type: DT_REG, node: text(0o444, (t) => t.mm?.cmdline() ?? "") },
    { name: "stat", type: DT_REG, node: text(0o444, showStat) },
    { name: "statm", type: DT_REG, node: text(0o444, (t) => (t.mm ? showStatm(t.mm) : "0 0 0 0 0 0 0\n")) },
    { name: "maps", type: DT_REG, ptrace: true, node: text(0o444, (t) => (t.mm ? showMaps(t.mm) : "")) },
    { name: "mounts", type: DT_REG, node: text(0o444, () => showMounts(env.mounts())) },
    { name: "comm", type: DT_REG, node: text(0o644, (t) => `${t.comm}\n`) },
    { name: "cwd", type: DT_LNK, ptrace: true, node: (t, owner, ino) => ({ kind: "link", ino, owner, target: t.cwd, jump: () => ({ path: t.cwd }) }) },
    { name: "root", type: DT_LNK, ptrace: true, node: (t, owner, ino) => ({ kind: "link", ino, owner, target: t.root, jump: () => ({ path: t.root }) }) },
    // a task with no program file (a kernel thread in Linux) says ENOENT; a stand-in's program
    // (init's /sbin/init) is the guest's file of that name, if there is one
    { name: "exe", type: DT_LNK, ptrace: true, node: (t, owner, ino) => ({ kind: "link", ino, owner, target: t.exe.guestPath,
      refuse: t.exe.guestPath ? undefined : E.ENOENT, jump: () => (t.exe.hostPath ? { exe: t.exe } : { path: t.exe.guestPath }) }) },
  ];
}

/** Inode numbers: 4096 per process, the entries in steps of 16, fd links and fdinfo files after them. */
export const pidDirIno = (pid: number): bigint => 0x100000n + (BigInt(pid) << 12n);
const fdIno = (pid: number, dir: "fd" | "fdinfo", fd: number): bigint => pidDirIno(pid) + (dir === "fd" ? 0x400n : 0x800n) + BigInt(fd & 0x3ff);

/**
 * __ptrace_may_access with PTRACE_MODE_READ_FSCREDS: the reader is the process itself, or its
 * fsuid and fsgid are all of the target's ids, or it has CAP_SYS_PTRACE (euid 0 here).
 */
function ptraceMayAccess(reader: ProcTask | undefined, t: ProcTask): boolean {
  if (!reader || reader.tgid === t.tgid || reader.cred.euid === 0) return true;
  const r = reader.cred, c = t.cred;
  return [c.uid, c.euid, c.suid].every((id) => id === r.fsuid) && [c.gid, c.egid, c.sgid].every((id) => id === r.fsgid);
}

/**
 * The node at `rest` ("" for the directory itself, or "/maps", "/fd/3", "/task/N/...") of process
 * `t`, as `reader` (the process walking the path) may use it.
 */
export function procPidLookup(env: ProcBaseEnv, t: ProcTask, rest: string, reader?: ProcTask): ProcNode | undefined {
  const owner: ProcOwner = { uid: t.cred.euid, gid: t.cred.egid };
  const base = pidDirIno(t.pid);
  const entries = baseEntries(env);
  const dir = (ino: bigint): ProcNode => ({
    kind: "dir", ino, owner,
    children: (): DirEntry[] => entries.map((e, i) => ({ name: e.name, ino: ino + 16n * BigInt(i + 1), type: e.type })),
  });
  if (rest === "") return dir(base);
  const parts = rest.slice(1).split("/");
  // /proc/<pid>/task/<tid>: the one thread of the process, with the same entries.
  if (parts[0] === "task" && parts.length >= 2) {
    if (parts[1] !== String(t.pid)) return undefined;
    return procPidLookup(env, t, parts.length === 2 ? "" : `/${parts.slice(2).join("/")}`, reader);
  }
  const i = entries.findIndex((e) => e.name === parts[0]);
  if (i < 0) return undefined;
  const ino = base + 16n * BigInt(i + 1);
  const denied = entries[i].ptrace && !ptraceMayAccess(reader, t);
  const node = entries[i].node(t, owner, ino);
  if (parts.length === 1) return denied ? { ...node, refuse: E.EACCES } : node;
  if (parts.length !== 2 || !/^\d+$/.test(parts[1])) return undefined;
  if (denied) throw new Errno(E.EACCES); // a name inside fd/ or fdinfo/: the directory cannot be searched
  const fd = Number(parts[1]);
  const entry = t.fds().find(([n]) => n === fd);
  if (!entry) return undefined;
  const [, file, cloexec] = entry;
  if (parts[0] === "fd") {
    const target = fdTarget(file);
    return { kind: "link", ino: fdIno(t.pid, "fd", fd), owner, target, jump: file.path !== undefined ? () => ({ path: file.path! }) : undefined };
  }
  if (parts[0] === "fdinfo") {
    // seq_show: O_CLOEXEC shows in flags although it is the fd's, not the file's.
    const flags = (file.flags | (cloexec ? O_CLOEXEC : 0)).toString(8);
    return { kind: "file", ino: fdIno(t.pid, "fdinfo", fd), mode: 0o444, owner,
      content: () => Buffer.from(`pos:\t${file.pos}\nflags:\t0${flags}\nmnt_id:\t0\nino:\t${file.stat().ino}\n`) };
  }
  return undefined;
}
