// fs/exec.c: execve and execveat. The file is found through the guest's file system (so
// /proc/self/exe and --root apply), the arguments and environment are copied out of the old
// address space, and the emulator's loader builds the new program on a new machine of the
// program's ABI (an i386 program may exec an x86-64 one): the task keeps its pid, files
// (minus close-on-exec), cwd and ignored signals; handlers go back to their defaults.

import { closeSync, openSync, readSync } from "node:fs";
import { E, Errno } from "../../errno.js";
import { BINPRM_BUF_SIZE, loadScript } from "../../fs/binfmt_script.js";
import { isDir, type Dentry, type Inode } from "../../fs/vfs.js";
import type { SyscallContext, SyscallFamily } from "../types.js";
import { int } from "../types.js";
import { getname, nameidata, vfsOf } from "../fs/getname.js";

const AT_EMPTY_PATH = 0x1000, AT_SYMLINK_NOFOLLOW = 0x100, AT_FDCWD = -100;
/** MAX_ARG_STRINGS is 0x7fffffff; this bounds what one exec copies to something sane. */
const MAX_ARGS = 1 << 16;
const MAX_ARG_STRLEN = 131072;

function copyStrings(ctx: SyscallContext, addr: bigint): Buffer[] {
  const out: Buffer[] = [];
  if (!addr) return out;
  const w = ctx.abi === "x86_64" ? 8 : 4;
  for (let i = 0; ; i++) {
    if (i >= MAX_ARGS) throw new Errno(E.E2BIG);
    const b = ctx.mem.read(addr + BigInt(i * w), w);
    const p = w === 8 ? b.readBigUInt64LE(0) : BigInt(b.readUInt32LE(0));
    if (!p) return out;
    out.push(ctx.mem.readCString(p, MAX_ARG_STRLEN));
  }
}

/** do_open_execat's checks: a regular file of the host with an execute bit (EACCES otherwise). */
function openExec(d: Dentry): { path: string; inode: Extract<Inode, { kind: "host" }> } {
  if (isDir(d)) throw new Errno(E.EACCES);
  const inode = d.inode;
  if (inode.kind !== "host") throw new Errno(E.EACCES); // devices and /proc nodes are not programs
  const mode = Number(inode.st.mode);
  if ((mode & 0o170000) !== 0o100000) throw new Errno(E.EACCES);
  if (!(mode & 0o111)) throw new Errno(E.EACCES);
  return { path: d.path, inode };
}

/** bprm->buf: the first bytes of the file, what the binary handlers look at. */
function readHead(hostPath: string): Buffer {
  const buf = Buffer.alloc(BINPRM_BUF_SIZE);
  try {
    const fd = openSync(hostPath, "r");
    try { return buf.subarray(0, readSync(fd, buf, 0, buf.length, 0)); } finally { closeSync(fd); }
  } catch {
    throw new Errno(E.EACCES);
  }
}

function doExecveat(ctx: SyscallContext, dfd: number, pathAddr: bigint, argvAddr: bigint, envpAddr: bigint, flags: number): number {
  if (flags & ~(AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW)) return -E.EINVAL;
  const path = getname(ctx, pathAddr, (flags & AT_EMPTY_PATH) !== 0);
  const vfs = vfsOf(ctx);
  const nd = nameidata(ctx, dfd, path);
  let d = openExec(path === "" ? vfs.walk(nd, ".", true) : vfs.walk(nd, path, !(flags & AT_SYMLINK_NOFOLLOW)));
  let argv = copyStrings(ctx, argvAddr);
  const envp = copyStrings(ctx, envpAddr);
  const task = ctx.task;
  const old = task.machine;
  const execfn = Buffer.from(path === "" ? `/dev/fd/${dfd}` : path, "latin1");
  // exec_binprm: a script names its interpreter (binfmt_script), which may be a script itself
  let filename: Buffer = execfn;
  for (let depth = 0; ; depth++) {
    if (depth > 5) return -E.ELOOP;
    const script = loadScript(readHead(d.inode.hostPath));
    if (!script) break;
    argv = [script.name, ...(script.arg ? [script.arg] : []), filename, ...argv.slice(1)] as Buffer[];
    filename = script.name;
    d = openExec(vfs.walk(nameidata(ctx, AT_FDCWD, script.name.toString("latin1")), script.name.toString("latin1"), true));
  }
  // load_elf_binary: what fails here (not an ELF, wrong machine...) leaves the old program running
  task.kernel.processes.exec(task, { hostPath: d.inode.hostPath, guestPath: d.path }, argv, envp, execfn);
  // past the point of no return: the old machine is done (the run loop closes it once its CPU
  // has stopped), the task now runs the new one
  old.leave();
  task.files.closeOnExec();
  for (const [sig, act] of task.sigactions) if (act.handler !== 1n) task.sigactions.delete(sig); // flush_signal_handlers
  task.altStack = { sp: 0n, flags: 2, size: 0n };
  task.savedXstate.length = 0;
  task.comm = (path.split("/").pop() ?? path).slice(0, 15);
  if (task.vforkParent) {
    task.vforkParent = undefined;
    task.vforkDone.wake();
  }
  if (task.kernel.hooks.has("process")) task.kernel.hooks.emit("process", { point: "process", pid: task.pid, action: "exec", program: d.path });
  return 0;
}

export const execFamily: SyscallFamily = {
  sys_execve: (ctx, a) => doExecveat(ctx, -100, a[0], a[1], a[2], 0),
  sys_execveat: (ctx, a) => doExecveat(ctx, int(a[0]), a[1], a[2], a[3], int(a[4])),
};
