// fs/exec.c: execve and execveat. The file is found through the guest's file system (so
// /proc/self/exe and --root apply), the arguments and environment are copied out of the old
// address space, and the emulator's loader builds the new program in a new address space on the
// kernel of the program's ABI (an i386 program may exec an x86-64 one): the task keeps its pid, files
// (minus close-on-exec), cwd and ignored signals; handlers go back to their defaults.

import { closeSync, openSync, readSync } from "node:fs";
import { E, Errno } from "../../errno.js";
import { BINPRM_BUF_SIZE, loadScript } from "../../fs/binfmt_script.js";
import { isDir } from "../../fs/namei.js";
import type { Dentry, Inode } from "../../fs/vfs.js";
import type { SyscallContext, SyscallFamily } from "../types.js";
import { int } from "../types.js";
import { getname, nameidata, vfsOf } from "../fs/getname.js";
import { rlimitCur } from "../../sched/rlimit.js";
import { LimitReached } from "../../limits.js";
import { RLIMIT_STACK } from "../../uapi/asm-generic/resource.js";
import { AT_EMPTY_PATH, AT_FDCWD, AT_SYMLINK_NOFOLLOW } from "../../uapi/linux/fcntl.js";
import { abiLayout } from "../../uapi/abi.js";

const PAGE_SIZE = 4096;
/** MAX_ARG_STRLEN: one argument or environment string, its NUL included, is at most 32 pages. */
export const MAX_ARG_STRLEN = 32 * PAGE_SIZE;
/** MAX_ARG_STRINGS: the most strings count() accepts in one array. */
const MAX_ARG_STRINGS = 0x7fffffff;
/** _STK_LIM (8 MiB) and ARG_MAX (32 pages): the bounds bprm_stack_limits puts around a quarter of the stack. */
const _STK_LIM = 8 * 1024 * 1024;
const ARG_MAX = 32 * PAGE_SIZE;

/** E2BIG, told once to the person running sysgate (a program's own mistake, but it looks like a hang otherwise). */
const e2big = (why: string) => new LimitReached(E.E2BIG, "args", `execve: argument and environment size limit: ${why}: E2BIG to the guest`);

/**
 * count(): the pointers of argv or envp up to their NULL, a page at a time. Past `room` pointers
 * the strings could not fit whatever they hold, so the walk stops there with E2BIG (Linux walks on
 * to the NULL first; both end in E2BIG unless the array faults further on).
 */
function countPointers(ctx: SyscallContext, addr: bigint, room: number): bigint[] {
  const out: bigint[] = [];
  if (!addr) return out;
  const layout = abiLayout(ctx.abi), w = layout.long;
  let a = addr;
  for (;;) {
    const n = Math.max(w, PAGE_SIZE - Number(a % BigInt(PAGE_SIZE))) & ~(w - 1);
    const b = ctx.mem.read(a, n);
    for (let off = 0; off + w <= n; off += w) {
      const p = layout.readULong(b, off);
      if (!p) return out;
      if (out.length >= room || out.length >= MAX_ARG_STRINGS) throw e2big(`more than ${room} strings`);
      out.push(p);
    }
    a += BigInt(n);
  }
}

/**
 * bprm_stack_limits: the strings may take a quarter of the stack limit (at most 3/4 of _STK_LIM, at
 * least ARG_MAX), less the pointers to them. E2BIG when even the pointers do not fit.
 */
function argumentSpace(ctx: SyscallContext, argc: number, envc: number): number {
  const quarter = rlimitCur(ctx.task.rlimits, RLIMIT_STACK) / 4n; // RLIM_INFINITY too
  const cap = BigInt((_STK_LIM / 4) * 3);
  const limit = Math.max(Number(quarter < cap ? quarter : cap), ARG_MAX);
  const pointers = (Math.max(argc, 1) + envc) * abiLayout(ctx.abi).long;
  if (limit <= pointers) throw e2big(`${argc + envc} pointers alone take ${pointers} bytes of ${limit}`);
  return limit - pointers;
}

/**
 * copy_strings: each string read with its length bounded by MAX_ARG_STRLEN and by the space left,
 * so a guest's huge arguments cost the host no more than the limit (E2BIG past it; EFAULT for a
 * bad pointer). `space` is shared by the file name, envp and argv, in that order as in Linux.
 */
function copyStrings(ctx: SyscallContext, ptrs: bigint[], space: { left: number }): Buffer[] {
  const out: Buffer[] = new Array(ptrs.length);
  for (let i = ptrs.length - 1; i >= 0; i--) {
    let s: Buffer;
    try {
      s = ctx.mem.readCString(ptrs[i], Math.min(MAX_ARG_STRLEN - 1, space.left - 1));
    } catch (e) {
      if (e instanceof Errno && e.errno === E.ENAMETOOLONG) {
        throw e2big(space.left > MAX_ARG_STRLEN ? `a string longer than MAX_ARG_STRLEN (${MAX_ARG_STRLEN} bytes)` : "the strings exceed a quarter of RLIMIT_STACK");
      }
      throw e;
    }
    space.left -= s.length + 1;
    out[i] = s;
  }
  return out;
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
  // do_execveat_common: count both arrays, bound the strings (bprm_stack_limits), then copy the
  // file name, the environment and the arguments into that space
  const pointerRoom = Math.floor(_STK_LIM / abiLayout(ctx.abi).long);
  const argvPtrs = countPointers(ctx, argvAddr, pointerRoom);
  const envpPtrs = countPointers(ctx, envpAddr, pointerRoom);
  const space = { left: argumentSpace(ctx, argvPtrs.length, envpPtrs.length) };
  const execfn = Buffer.from(path === "" ? `/dev/fd/${dfd}` : path, "latin1");
  space.left -= execfn.length + 1;
  if (space.left <= 0) throw e2big("the file name alone fills the space");
  const envp = copyStrings(ctx, envpPtrs, space);
  let argv = copyStrings(ctx, argvPtrs, space);
  const task = ctx.task;
  // exec_binprm: a script names its interpreter (binfmt_script), which may be a script itself
  let filename: Buffer = execfn;
  for (let depth = 0; ; depth++) {
    if (depth > 5) return -E.ELOOP;
    const script = loadScript(readHead(d.inode.hostPath));
    if (!script) break;
    argv = [script.name, ...(script.arg ? [script.arg] : []), filename, ...argv.slice(1)] as Buffer[];
    filename = script.name;
    const name = script.name.toString("latin1");
    d = openExec(vfs.walk(nameidata(ctx, AT_FDCWD, name), name, true));
  }
  // load_elf_binary: what fails here (not an ELF, wrong machine...) leaves the old program running;
  // past the point of no return the task runs the new program (on this kernel, or the other ABI's)
  task.kernel.processes.exec(task, { hostPath: d.inode.hostPath, guestPath: d.path }, argv, envp, execfn, ctx.regs);
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
