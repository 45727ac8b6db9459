// The guest's mount table and the inode operations on what a walk finds (fs/namespace.c,
// fs/namei.c's vfs_* side, fs/open.c). The walk itself is namei.ts.
//
// Guest paths are walked component by component in the GUEST namespace (link_path_walk): ".."
// at the guest root stays there, host symlinks are read with readlink and their targets walked
// again from the guest root or the link's directory, so no guest path can ever reach a host
// path outside what is mounted. Only the final, symlink-free path is handed to the host.
//
// Paths are byte strings: the model keeps them as latin1 JS strings (one char per byte) and
// hands the host Buffers, so names that are not UTF-8 survive the round trip unchanged.
//
// Served by the model, whatever the host has there: /dev/null, /dev/zero, /dev/random,
// /dev/urandom (devtmpfs.ts); /proc/self, /proc/<pid>/... and the machine-wide /proc files
// (proc/root.ts). Numeric /proc entries that are no guest's are ENOENT (never the host's
// processes). Everything else under /proc and /dev comes from the mount below it (the host's,
// read-only, in host mode).

import * as fs from "node:fs";
import { createRequire } from "node:module";
import * as nodePath from "node:path";
import { isatty } from "node:tty";
import { E, Errno } from "../errno.js";
import { DT_DIR, FMODE_LSEEK, FMODE_PREAD, FMODE_PWRITE, FMODE_READ, FMODE_WRITE, R_OK, W_OK, X_OK } from "./fcntl.js";
import { noteFileChange, type DirEntry, type File } from "./file.js";
import { hostCall, hostErrno } from "./host_errno.js";
import { fifoOpen } from "./fifo.js";
import { HostFile, readHostDir } from "./host_file.js";
import { kstatFromHost, modelKstat, type Kstat } from "./kstat.js";
import { DEV_ROOT_INO, devAccess, devLookup, devOpen, devRootEntries } from "./devtmpfs.js";
import { memDeviceStat, type MemDevice } from "./mem_devices.js";
import { ModelDirFile } from "./model_dir.js";
import { Overlay } from "./overlay.js";
import { procLookup, procRootEntries, PROC_ROOT_INO } from "./proc/root.js";
import type { ProcBaseEnv } from "./proc/base.js";
import { fsName, type MountLine } from "./proc/mounts.js";
import { ProcFile, procFileKstat, type ProcOwner } from "./proc/proc_file.js";
import type { ProcSource } from "./proc/task_view.js";
import { EXT4_SUPER_MAGIC, PROC_SUPER_MAGIC, TMPFS_MAGIC } from "./statfs_magic.js";
import { filenameParentat, inodePermission, isDir, isSymlink, join, lookupMaybe, lookupOne, parentOf, pathLookupat, type Nameidata, type ParentLookup } from "./namei.js";
import { __O_TMPFILE, O_ACCMODE, O_CLOEXEC, O_CREAT, O_DIRECTORY, O_EXCL, O_NOCTTY, O_NOFOLLOW, O_PATH, O_RDONLY, O_RDWR, O_TRUNC, O_WRONLY } from "../uapi/asm-generic/fcntl.js";
import { RENAME_EXCHANGE, RENAME_NOREPLACE, RENAME_WHITEOUT } from "../uapi/linux/fs.js";
import { S_IFBLK, S_IFCHR, S_IFDIR, S_IFIFO, S_IFLNK, S_IFMT, S_IFREG, S_IFSOCK } from "../uapi/linux/stat.js";

const S_ISUID = 0o4000, S_ISGID = 0o2000;
/**
 * The mode bits a guest may put on a host file: the permissions and the sticky bit, never
 * S_ISUID or S_ISGID. sysgate often runs as root, and a guest's `chmod 4755` would otherwise leave
 * a set-user-ID-root program on the host (the guest sees the bits gone, as on a nosuid file system
 * that also refused to store them).
 */
export const hostMode = (mode: number): number => mode & 0o7777 & ~(S_ISUID | S_ISGID);

/** struct vfsmount, reduced: a host directory grafted at a guest path. */
export interface Mount {
  readonly guestPath: string;
  readonly hostPath: string;
  readonly writable: boolean;
  /** The host tree is only the lower layer: writes land in this run's scratch layer. */
  readonly overlay?: Overlay;
}

/** A host file or directory granted to the guest at a guest path (`--bind HOST:GUEST[:ro]`). */
export interface Bind { hostPath: string; guestPath: string; writable: boolean }

export type VfsOptions = (
  /** The host's / under a scratch overlay, a private /tmp, the cwd granted read-write. */
  | { mode: "host"; cwd: string }
  | { mode: "root"; root: string }
) & {
  getRandomBytes: (buf: Buffer) => void;
  /** More host paths granted to the guest; the innermost mount wins, as the last mount does on Linux. */
  binds?: readonly Bind[];
};

/** What the walk finds at a guest path (the dentry and its inode, reduced to what the model needs). */
export type Inode =
  /** `lower`: a host file under an overlay not copied up yet (the host's own: never written). */
  | { kind: "host"; hostPath: string; mount: Mount; st: fs.BigIntStats; lower?: boolean }
  | { kind: "memdev"; dev: MemDevice }
  | { kind: "modeldir"; ino: bigint; owner?: ProcOwner; refuse?: number; children: () => DirEntry[] }
  /** A text file the model serves (/proc/meminfo, /proc/<pid>/maps): made when opened. */
  | { kind: "modelfile"; ino: bigint; mode: number; owner?: ProcOwner; refuse?: number; content: () => Buffer }
  /** A symlink the model serves; `jump` makes it a magic link (nd_jump_link) like /proc/<pid>/exe. */
  | { kind: "modellink"; ino: bigint; owner?: ProcOwner; refuse?: number; target: string; jump?: () => Dentry };

export interface Dentry {
  /** The canonical guest path: absolute, no ".", "..", or symlinks in it. */
  readonly path: string;
  readonly inode: Inode;
}

/** struct kstatfs (include/linux/statfs.h): what statfs reports, before a user layout is chosen. */
export interface Kstatfs {
  type: bigint; bsize: bigint; blocks: bigint; bfree: bigint; bavail: bigint; files: bigint; ffree: bigint;
  fsid: [number, number]; namelen: bigint; frsize: bigint; flags: bigint;
}

export { EXT4_SUPER_MAGIC, PROC_SUPER_MAGIC, TMPFS_MAGIC } from "./statfs_magic.js";
/** f_flags bits (include/linux/statfs.h). */
export const ST_RDONLY = 0x1;
export const ST_NOSUID = 0x2;
export const ST_NODEV = 0x4;
export const ST_NOEXEC = 0x8;
export const ST_VALID = 0x20;

/** Host paths are handed over as bytes: latin1 chars are the bytes of the guest path. */
const hb = (p: string): Buffer => Buffer.from(p, "latin1");
/** A host string (UTF-8 as Node gives it) as a byte string. */
const asBytes = (s: string): string => Buffer.from(s, "utf8").toString("latin1");
const within = (p: string, dir: string): boolean => dir === "/" || p === dir || p.startsWith(`${dir}/`);

export class Vfs {
  /** Longest guest path first, so the first match is the innermost mount. */
  readonly mounts: readonly Mount[];
  /** The guest directory a new process starts in. */
  readonly initialCwd: string;
  /** One read-only pseudo mount per program image, so writes to a running program give ETXTBSY. */
  private readonly exeMounts = new Map<string, Mount>();
  private readonly getRandomBytes: (buf: Buffer) => void;

  constructor(opts: VfsOptions) {
    const real = (p: string): string => asBytes(fs.realpathSync.native(p));
    const mounts: Mount[] = [];
    const binds = (opts.binds ?? []).map((b) => ({ guestPath: nodePath.posix.resolve("/", asBytes(b.guestPath)), hostPath: real(b.hostPath), writable: b.writable }));
    if (opts.mode === "host") {
      const cwd = real(opts.cwd);
      // The host's / is only read; what the guest writes outside the cwd and the binds (a file
      // in /tmp...) lands in a scratch layer that goes with the run (README: "What the guest sees
      // of the host's files").
      if (cwd === "/") mounts.push({ guestPath: "/", hostPath: "/", writable: true });
      else {
        const overlay = new Overlay("/", [cwd, ...binds.map((b) => b.guestPath)]);
        mounts.push({ guestPath: "/", hostPath: "/", writable: true, overlay });
        mounts.push({ guestPath: cwd, hostPath: cwd, writable: true });
      }
      this.initialCwd = cwd;
    } else {
      mounts.push({ guestPath: "/", hostPath: real(opts.root), writable: true });
      this.initialCwd = "/";
    }
    for (const b of binds) {
      const i = mounts.findIndex((m) => m.guestPath === b.guestPath);
      if (i >= 0) mounts.splice(i, 1);
      mounts.push(b);
    }
    // Longest guest path first: mountFor's first match is then the innermost mount.
    this.mounts = mounts.sort((a, b) => b.guestPath.length - a.guestPath.length);
    this.getRandomBytes = opts.getRandomBytes;
  }

  // ---- the walk -------------------------------------------------------------------------

  /** The run is over: its scratch layer goes. */
  dispose(): void {
    for (const m of this.mounts) m.overlay?.dispose();
  }

  /** statx's view of a path's mount: an id (its place in the table, as mnt_id numbers mounts) and whether the path is its root. */
  mountInfo(path: string): { id: number; root: boolean } {
    const m = this.mountFor(path);
    return { id: 21 + [...this.mounts].reverse().indexOf(m), root: m.guestPath === path };
  }

  /** The mount a canonical guest path lies on. */
  mountFor(path: string): Mount {
    for (const m of this.mounts) if (within(path, m.guestPath)) return m;
    throw new Error(`no mount for ${path}`); // "/" is always mounted
  }

  /** The path below the mount point ("/" for the mount point itself). */
  private relOf(path: string, m: Mount): string {
    const rest = m.guestPath === "/" ? path : path.slice(m.guestPath.length);
    return rest === "" ? "/" : rest;
  }

  private hostPathOf(path: string, m: Mount): string {
    const rest = this.relOf(path, m);
    if (m.hostPath === "/") return rest;
    return rest === "/" ? m.hostPath : m.hostPath + rest;
  }

  /** Where a new name at `path` goes on the host: in the scratch layer under an overlay. */
  private createPath(path: string, m: Mount, dir: boolean): string {
    return m.overlay ? m.overlay.prepareCreate(this.relOf(path, m), dir) : this.hostPathOf(path, m);
  }

  /** A dentry whose inode may be written: a lower file under an overlay is copied up first. */
  private copyUp(d: Dentry, access?: "write" | "owner"): Dentry {
    const inode = d.inode;
    if (inode.kind !== "host" || !inode.lower || !inode.mount.overlay) return d;
    // The permission check is the lower inode's (ovl_permission), not the copy's, which is ours.
    if (access === "write") hostCall(() => fs.accessSync(hb(inode.hostPath), fs.constants.W_OK));
    const uid = process.getuid?.();
    if (access === "owner" && uid !== undefined && uid !== 0 && BigInt(uid) !== inode.st.uid) throw new Errno(E.EPERM);
    const hostPath = inode.mount.overlay.copyUp(this.relOf(d.path, inode.mount));
    return { path: d.path, inode: { kind: "host", hostPath, mount: inode.mount, st: fs.lstatSync(hb(hostPath), { bigint: true }) } };
  }

  /** Names of the mounts whose mount points sit in the directory `path` (they show there even if the host has no such name). */
  private mountpointsIn(path: string): string[] {
    return this.mounts.filter((m) => m.guestPath !== "/" && m.guestPath !== path && parentOf(m.guestPath) === path)
      .map((m) => m.guestPath.slice(m.guestPath.lastIndexOf("/") + 1));
  }

  /** The node the model serves at `path` instead of the mount, or undefined for the mount's. */
  private modelNode(path: string, pid: number): Dentry | undefined {
    const dev = devLookup(path);
    if (dev) return { path, inode: { kind: "memdev", dev } };
    if (path === "/proc") return { path, inode: { kind: "modeldir", ino: PROC_ROOT_INO, children: () => this.procRootChildren(pid) } };
    if (!path.startsWith("/proc/")) return undefined;
    const node = procLookup(this.procEnv, path, pid);
    if (node === "enoent") throw new Errno(E.ENOENT);
    if (node === undefined) return undefined;
    switch (node.kind) {
      case "dir": return { path, inode: { kind: "modeldir", ino: node.ino, owner: node.owner, refuse: node.refuse, children: node.children } };
      case "file": return { path, inode: { kind: "modelfile", ino: node.ino, mode: node.mode, owner: node.owner, refuse: node.refuse, content: node.content } };
      case "link": {
        const jump = node.jump;
        return {
          path,
          inode: {
            kind: "modellink", ino: node.ino, owner: node.owner, refuse: node.refuse, target: node.target,
            jump: jump && ((): Dentry => {
              const to = jump();
              if ("path" in to) return this.lookupCanonical(to.path, pid);
              return this.exeDentry({ hostPath: asBytes(nodePath.resolve(to.exe.hostPath)), guestPath: to.exe.guestPath });
            }),
          },
        };
      }
    }
  }

  /** /proc's entries: the model's, then the host's /proc names that are not processes (cpuinfo, sys, ...). */
  private procRootChildren(pid: number): DirEntry[] {
    const out = procRootEntries(this.procEnv);
    const names = new Set(out.map((e) => e.name));
    const mount = this.mountFor("/proc");
    const host = mount.overlay ? mount.overlay.lookup(this.relOf("/proc", mount)) : { hostPath: this.hostPathOf("/proc", mount) };
    if (host && fs.statSync(hb(host.hostPath), { throwIfNoEntry: false })?.isDirectory()) {
      try {
        for (const e of readHostDir(host.hostPath)) if (!/^\d+$/.test(e.name) && !names.has(e.name)) out.push(e);
      } catch { /* an unreadable host /proc: the model's entries alone */ }
    }
    void pid;
    return out;
  }

  /** What procfs reads: the kernel's tasks (set by the kernel; none until then) and the mounts. */
  proc: ProcSource = {
    tasks: () => [], task: () => undefined, monotonicNs: () => 0n, realtimeNs: () => 0n, memory: () => ({ total: 0, used: 0 }),
  };

  private readonly procEnv: ProcBaseEnv = {
    source: { tasks: () => this.proc.tasks(), task: (p) => this.proc.task(p), monotonicNs: () => this.proc.monotonicNs(),
      realtimeNs: () => this.proc.realtimeNs(), memory: () => this.proc.memory() },
    mounts: () => this.mountLines(),
  };

  /** The mount table as /proc/mounts shows it, outermost first. */
  private mountLines(): MountLine[] {
    const lines: MountLine[] = [];
    for (const m of [...this.mounts].reverse()) {
      const ro = !m.writable;
      let type = "ext4";
      try {
        type = m.overlay ? "overlay" : fsName(this.statfs(this.lookupCanonical(m.guestPath, 0)).type);
      } catch { /* a mount point that is gone: keep the default name */ }
      lines.push({ device: m.overlay ? "overlay" : m.hostPath, dir: m.guestPath, type, options: `${ro ? "ro" : "rw"},relatime` });
    }
    lines.push({ device: "proc", dir: "/proc", type: "proc", options: "rw,nosuid,nodev,noexec,relatime" });
    return lines;
  }

  /** The guest program itself, wherever it lives on the host: what /proc/<pid>/exe jumps to. */
  private exeDentry(exe: { hostPath: string; guestPath: string }): Dentry {
    const st = hostCall(() => fs.statSync(hb(exe.hostPath), { bigint: true }));
    let mount = this.exeMounts.get(exe.hostPath);
    if (!mount) this.exeMounts.set(exe.hostPath, (mount = { guestPath: exe.guestPath, hostPath: exe.hostPath, writable: false }));
    return { path: exe.guestPath, inode: { kind: "host", hostPath: exe.hostPath, mount, st } };
  }

  private isExeMount(m: Mount): boolean {
    return [...this.exeMounts.values()].includes(m);
  }

  /** A guest path known to be canonical, looked up without following a final symlink. */
  lookupCanonical(path: string, pid: number): Dentry {
    const model = this.modelNode(path, pid);
    if (model) return model;
    const mount = this.mountFor(path);
    try {
      if (mount.overlay) {
        const found = mount.overlay.lookup(this.relOf(path, mount));
        if (!found) throw new Errno(E.ENOENT);
        return { path, inode: { kind: "host", hostPath: found.hostPath, mount, st: found.st, lower: found.lower } };
      }
      const hostPath = this.hostPathOf(path, mount);
      const st = fs.lstatSync(hb(hostPath), { bigint: true });
      return { path, inode: { kind: "host", hostPath, mount, st } };
    } catch (err) {
      // A root with no /proc or /dev still has the model's entries there.
      if (hostErrno(err) === E.ENOENT && (path === "/proc" || path === "/dev")) return this.pseudoRoot(path, pid);
      return hostCall(() => { throw err; });
    }
  }

  private pseudoRoot(path: "/proc" | "/dev", pid: number): Dentry {
    if (path === "/proc") return this.modelNode(path, pid)!;
    return { path, inode: { kind: "modeldir", ino: DEV_ROOT_INO, children: devRootEntries } };
  }

  /** The text of a symlink (vfs_readlink). */
  readlinkDentry(d: Dentry): string {
    switch (d.inode.kind) {
      case "modellink":
        inodePermission(d);
        return d.inode.target;
      case "host":
        if (isSymlink(d)) {
          const hostPath = d.inode.hostPath;
          return hostCall(() => fs.readlinkSync(hb(hostPath), { encoding: "buffer" })).toString("latin1");
        }
    }
    throw new Errno(E.EINVAL);
  }

  /** path_lookupat through this file system view (namei.ts). */
  walk(nd: Nameidata, path: string, follow: boolean): Dentry {
    return pathLookupat(this, nd, path, follow);
  }

  /** filename_parentat through this file system view (namei.ts). */
  lookupParent(nd: Nameidata, path: string): ParentLookup {
    return filenameParentat(this, nd, path);
  }

  // ---- inode operations ----------------------------------------------------------------

  /** vfs_getattr. */
  getattr(d: Dentry): Kstat {
    const inode = d.inode;
    switch (inode.kind) {
      case "host": return kstatFromHost(inode.st);
      case "memdev": return memDeviceStat(inode.dev);
      case "modeldir": return { ...modelKstat({ ino: inode.ino, mode: S_IFDIR | 0o555, nlink: 2 }), uid: inode.owner?.uid ?? 0, gid: inode.owner?.gid ?? 0 };
      case "modelfile": return procFileKstat(inode.ino, inode.mode, inode.owner);
      case "modellink": return { ...modelKstat({ ino: inode.ino, mode: S_IFLNK | 0o777 }), uid: inode.owner?.uid ?? 0, gid: inode.owner?.gid ?? 0 };
    }
  }

  stat(nd: Nameidata, path: string, follow: boolean): Kstat {
    return this.getattr(this.walk(nd, path, follow));
  }

  readlink(nd: Nameidata, path: string): string {
    return this.readlinkDentry(this.walk(nd, path, false));
  }

  /** A path under the model's own nodes, where nothing can be created or removed. */
  private isModelArea(path: string): boolean {
    return /^\/proc\/(self|thread-self|\d+)(\/|$)/.test(path) || devLookup(path) !== undefined;
  }

  /** mnt_want_write: the mount that `path` is on, if it may be written; EROFS otherwise. */
  private wantWrite(path: string): Mount {
    if (this.isModelArea(path)) throw new Errno(E.EACCES);
    const m = this.mountFor(path);
    if (!m.writable) throw new Errno(E.EROFS);
    return m;
  }

  /** do_filp_open: open or create `path` with open(2) flags; `mode` has the umask applied already. */
  open(nd: Nameidata, path: string, flags: number, mode: number): File {
    if (flags & __O_TMPFILE) throw new Errno(E.EOPNOTSUPP);
    if ((flags & O_CREAT) && (flags & O_DIRECTORY)) throw new Errno(E.EINVAL);
    if (flags & O_PATH) flags &= O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC;
    if (!(flags & O_CREAT)) return this.openDentry(this.walk(nd, path, !(flags & O_NOFOLLOW)), flags, nd.pid);

    const p = this.lookupParent(nd, path);
    if (p.lastType !== "norm" || p.trailingSlash) throw new Errno(E.EISDIR);
    let d = lookupMaybe(this, p.parent.path, p.last, nd.pid);
    if (d && flags & O_EXCL) throw new Errno(E.EEXIST);
    if (d && isSymlink(d)) {
      if (flags & O_NOFOLLOW) throw new Errno(E.ELOOP);
      d = this.walk({ ...nd, start: p.parent.path }, p.last, true);
    }
    if (d && isDir(d)) throw new Errno(E.EISDIR);
    if (d) return this.openDentry(d, flags & ~O_CREAT, nd.pid);

    // lookup_open → vfs_create: a new regular file on a writable host mount.
    const target = join(p.parent.path, p.last);
    const mount = this.wantWrite(target);
    const hostPath = this.createPath(target, mount, false);
    const hostFd = hostCall(() => fs.openSync(hb(hostPath), hostOpenFlags(flags) | fs.constants.O_CREAT | fs.constants.O_EXCL, hostMode(mode)));
    // The host's umask may have taken more bits away than the guest's did.
    try { fs.fchmodSync(hostFd, hostMode(mode)); } catch { /* a file system without modes */ }
    return this.hostFile({ path: target, inode: { kind: "host", hostPath, mount, st: fs.fstatSync(hostFd, { bigint: true }) } }, flags, hostFd, nd.pid);
  }

  /** do_open / vfs_open: an open file for a dentry the walk found. */
  openDentry(d: Dentry, flags: number, pid: number): File {
    const acc = flags & O_ACCMODE;
    const wantWrite = acc === O_WRONLY || acc === O_RDWR || (flags & O_TRUNC) !== 0;
    if (flags & O_PATH) {
      if (d.inode.kind !== "host") throw new Errno(E.ELOOP);
      return this.hostFile(d, flags, undefined, pid);
    }
    if (isSymlink(d)) throw new Errno(E.ELOOP);
    if (flags & O_DIRECTORY && !isDir(d)) throw new Errno(E.ENOTDIR);
    if (isDir(d) && wantWrite) throw new Errno(E.EISDIR);
    inodePermission(d);
    const inode = d.inode;
    switch (inode.kind) {
      case "memdev":
        return devOpen(inode.dev, fileFlags(flags), accessFmode(acc), d.path, this.getRandomBytes);
      case "modeldir": {
        const parent = this.getattr(this.lookupCanonical(parentOf(d.path), pid)).ino;
        return new ModelDirFile(d.path, fileFlags(flags), accessFmode(acc), this.getattr(d), parent, inode.children);
      }
      case "modellink": throw new Errno(E.ELOOP);
      case "modelfile":
        if (wantWrite) throw new Errno(E.EACCES);
        return new ProcFile(d.path, fileFlags(flags), accessFmode(acc), this.getattr(d), inode.content);
      case "host": {
        if (wantWrite) {
          if (this.isExeMount(inode.mount)) throw new Errno(E.ETXTBSY);
          if (!inode.mount.writable) throw new Errno(E.EROFS);
        }
        const type = Number(inode.st.mode) & S_IFMT;
        // A FIFO is a pipe of the model, keyed by the host inode (fifo.ts): opening the host's
        // would block the whole emulator. Sockets cannot be opened at all.
        if (type === S_IFIFO) return fifoOpen(pid, `${inode.st.dev}:${inode.st.ino}`, flags, () => this.getattr(d));
        if (type === S_IFSOCK) throw new Errno(E.ENXIO);
        return this.hostFile(wantWrite && type === S_IFREG ? this.copyUp(d, "write") : d, flags, undefined, pid);
      }
    }
  }

  private hostFile(d: Dentry, flags: number, hostFd: number | undefined, pid: number): HostFile {
    const inode = d.inode;
    if (inode.kind !== "host") throw new Error("not a host inode");
    const type = Number(inode.st.mode) & S_IFMT;
    const dir = type === S_IFDIR;
    if (flags & O_TRUNC && hostFd === undefined) noteFileChange();
    const fd = hostFd ?? hostCall(() => fs.openSync(hb(inode.hostPath), hostOpenFlags(flags, dir)));
    const seekable = type === S_IFREG || type === S_IFDIR || type === S_IFBLK;
    const pathOnly = (flags & O_PATH) !== 0;
    const fmode = pathOnly ? 0 : accessFmode(flags & O_ACCMODE) | (seekable ? FMODE_LSEEK | FMODE_PREAD | FMODE_PWRITE : 0);
    const parentIno = (): bigint => {
      const parent = d.path === "/" ? d : this.lookupCanonical(parentOf(d.path), pid);
      return this.getattr(parent).ino;
    };
    // A directory's listing: an overlay merges its layers; mount points show in their parent.
    const overlay = inode.mount.overlay;
    const mountpoints = dir ? this.mountpointsIn(d.path) : [];
    const entries = dir && (overlay || mountpoints.length > 0) ? (): DirEntry[] => {
      const list = overlay && d.path.startsWith(inode.mount.guestPath) ? overlay.list(this.relOf(d.path, inode.mount)) : readHostDir(inode.hostPath);
      for (const name of mountpoints) {
        if (list.some((e) => e.name === name)) continue;
        const st = this.getattr(this.lookupCanonical(join(d.path, name), pid));
        list.push({ name, ino: st.ino, type: DT_DIR });
      }
      return list;
    } : undefined;
    // a terminal of the host's /dev (/dev/tty, /dev/pts/N) is the tty driver's, with its ioctls
    const tty = type === S_IFCHR && !pathOnly && isatty(fd);
    return new HostFile({ hostFd: fd, hostPath: inode.hostPath, path: d.path, flags: fileFlags(flags), fmode, isDir: dir, seekable, tty, parentIno, entries });
  }

  /** vfs_mkdir; `mode` has the umask applied already. */
  mkdir(nd: Nameidata, path: string, mode: number): void {
    const p = this.lookupParent(nd, path);
    if (p.lastType !== "norm") throw new Errno(E.EEXIST);
    if (lookupMaybe(this, p.parent.path, p.last, nd.pid)) throw new Errno(E.EEXIST);
    const target = join(p.parent.path, p.last);
    const hostPath = this.createPath(target, this.wantWrite(target), true);
    hostCall(() => fs.mkdirSync(hb(hostPath), { mode: hostMode(mode) }));
    try { fs.chmodSync(hb(hostPath), hostMode(mode)); } catch { /* a file system without modes */ }
  }

  /**
   * vfs_mknod for what an unprivileged process may make: a FIFO (made on the host with mkfifo(1):
   * Node has no mknod) or an empty regular file; `mode` has the umask applied already.
   */
  mknod(nd: Nameidata, path: string, mode: number): void {
    const type = mode & S_IFMT;
    if (type !== 0 && type !== S_IFREG && type !== S_IFIFO) throw new Errno(E.EPERM); // devices, sockets: CAP_MKNOD
    const p = this.lookupParent(nd, path);
    if (p.lastType !== "norm") throw new Errno(E.EEXIST);
    if (lookupMaybe(this, p.parent.path, p.last, nd.pid)) throw new Errno(E.EEXIST);
    const target = join(p.parent.path, p.last);
    const hostPath = this.hostPathOf(target, this.wantWrite(target));
    const perm = hostMode(mode & 0o7777);
    if (type === S_IFIFO) {
      // node:child_process loaded here only: its module cost every start of a program ~2-8 ms
      const { spawnSync } = createRequire(import.meta.url)("node:child_process") as typeof import("node:child_process");
      const r = spawnSync("mkfifo", ["-m", perm.toString(8), "--", hostPath], { encoding: "utf8" });
      if (r.status !== 0) throw new Errno(fs.existsSync(hostPath) ? E.EEXIST : E.EACCES, `mkfifo: ${r.stderr || r.error?.message}`);
    } else {
      fs.closeSync(hostCall(() => fs.openSync(hb(hostPath), fs.constants.O_CREAT | fs.constants.O_EXCL | fs.constants.O_WRONLY, perm)));
      try { fs.chmodSync(hb(hostPath), perm); } catch { /* a file system without modes */ }
    }
  }

  /** do_unlinkat without AT_REMOVEDIR: vfs_unlink. */
  unlink(nd: Nameidata, path: string): void {
    const p = this.lookupParent(nd, path);
    if (p.lastType !== "norm") throw new Errno(E.EISDIR);
    const target = join(p.parent.path, p.last);
    const mount = this.wantWrite(target);
    const d = lookupOne(this, p.parent.path, p.last, nd.pid);
    if (isDir(d)) throw new Errno(E.EISDIR);
    if (p.trailingSlash) throw new Errno(E.ENOTDIR);
    this.removeName(d, mount, () => fs.unlinkSync(hb(this.hostPathOf(target, mount))));
  }

  /** Removes a name: on an overlay, the upper file goes and a lower one gets a whiteout (ovl_do_remove). */
  private removeName(d: Dentry, mount: Mount, remove: () => void): void {
    const inode = d.inode;
    if (!mount.overlay || inode.kind !== "host") return hostCall(remove);
    if (!inode.lower) {
      const hostPath = inode.hostPath;
      hostCall(() => (isDir(d) ? fs.rmdirSync(hb(hostPath)) : fs.unlinkSync(hb(hostPath))));
    }
    mount.overlay.removed(this.relOf(d.path, mount));
  }

  /** do_rmdir: vfs_rmdir. */
  rmdir(nd: Nameidata, path: string): void {
    const p = this.lookupParent(nd, path);
    if (p.lastType === "dot") throw new Errno(E.EINVAL);
    if (p.lastType === "dotdot") throw new Errno(E.ENOTEMPTY);
    if (p.lastType === "root") throw new Errno(E.EBUSY);
    const target = join(p.parent.path, p.last);
    const mount = this.wantWrite(target);
    const d = lookupOne(this, p.parent.path, p.last, nd.pid);
    if (!isDir(d)) throw new Errno(E.ENOTDIR);
    if (this.mounts.some((m) => m.guestPath === target)) throw new Errno(E.EBUSY);
    // A merged directory is empty when the guest sees nothing in it, whatever either layer holds.
    if (mount.overlay && mount.overlay.list(this.relOf(target, mount)).length > 0) throw new Errno(E.ENOTEMPTY);
    this.removeName(d, mount, () => fs.rmdirSync(hb(this.hostPathOf(target, mount))));
  }

  /** do_renameat2: RENAME_NOREPLACE is honoured; RENAME_EXCHANGE and RENAME_WHITEOUT are EINVAL. */
  rename(oldNd: Nameidata, oldPath: string, newNd: Nameidata, newPath: string, flags: number): void {
    if (flags & ~(RENAME_NOREPLACE | RENAME_EXCHANGE | RENAME_WHITEOUT)) throw new Errno(E.EINVAL);
    if (flags & (RENAME_EXCHANGE | RENAME_WHITEOUT)) throw new Errno(E.EINVAL);
    const po = this.lookupParent(oldNd, oldPath);
    const pn = this.lookupParent(newNd, newPath);
    if (po.lastType !== "norm") throw new Errno(E.EBUSY);
    if (pn.lastType !== "norm") throw new Errno(flags & RENAME_NOREPLACE ? E.EEXIST : E.EBUSY);
    const from = join(po.parent.path, po.last);
    const to = join(pn.parent.path, pn.last);
    if (this.mountFor(po.parent.path) !== this.mountFor(pn.parent.path)) throw new Errno(E.EXDEV);
    if (this.mounts.some((m) => m.guestPath === from || m.guestPath === to)) throw new Errno(E.EBUSY);
    const mount = this.wantWrite(from);
    this.wantWrite(to);
    const src = lookupOne(this, po.parent.path, po.last, oldNd.pid);
    if (!isDir(src) && (po.trailingSlash || pn.trailingSlash)) throw new Errno(E.ENOTDIR);
    const dst = lookupMaybe(this, pn.parent.path, pn.last, newNd.pid);
    if (flags & RENAME_NOREPLACE && dst) throw new Errno(E.EEXIST);
    const overlay = mount.overlay;
    if (!overlay) {
      hostCall(() => fs.renameSync(hb(this.hostPathOf(from, mount)), hb(this.hostPathOf(to, mount))));
      return;
    }
    // ovl_rename: a directory with lower entries cannot move without redirects (EXDEV: mv copies);
    // a lower file is copied up first; the old name gets a whiteout if the lower layer has it.
    if (from === to) return;
    const fromRel = this.relOf(from, mount);
    if (isDir(src) && (src.inode.kind !== "host" || src.inode.lower || overlay.list(fromRel).length > 0)) throw new Errno(E.EXDEV);
    if (dst && isDir(dst) && overlay.list(this.relOf(to, mount)).length > 0) throw new Errno(E.ENOTEMPTY);
    const upperFrom = overlay.copyUp(fromRel);
    if (dst?.inode.kind === "host" && dst.inode.lower && isDir(dst) !== isDir(src)) throw new Errno(isDir(src) ? E.ENOTDIR : E.EISDIR);
    const upperTo = overlay.prepareCreate(this.relOf(to, mount), isDir(src));
    hostCall(() => fs.renameSync(hb(upperFrom), hb(upperTo)));
    overlay.removed(fromRel);
  }

  /** do_symlinkat: vfs_symlink. The text is stored as given; walks read it in the guest namespace. */
  symlink(nd: Nameidata, path: string, target: string): void {
    const p = this.lookupParent(nd, path);
    if (p.lastType !== "norm") throw new Errno(E.EEXIST);
    if (lookupMaybe(this, p.parent.path, p.last, nd.pid)) throw new Errno(E.EEXIST);
    // filename_create: a trailing slash on a name that does not exist yet is not a directory.
    if (p.trailingSlash) throw new Errno(E.ENOENT);
    const to = join(p.parent.path, p.last);
    const hostPath = this.createPath(to, this.wantWrite(to), false);
    hostCall(() => fs.symlinkSync(hb(target), hb(hostPath)));
  }

  /** do_linkat after the old name was resolved to `src`: vfs_link. */
  link(src: Dentry, newNd: Nameidata, newPath: string): void {
    const p = this.lookupParent(newNd, newPath);
    if (p.lastType !== "norm") throw new Errno(E.EEXIST);
    if (lookupMaybe(this, p.parent.path, p.last, newNd.pid)) throw new Errno(E.EEXIST);
    if (p.trailingSlash) throw new Errno(E.ENOENT);
    const to = join(p.parent.path, p.last);
    const mount = this.wantWrite(to);
    // Hard links never cross a mount, and the model's own nodes live on none of the host's.
    if (src.inode.kind !== "host" || src.inode.mount !== mount) throw new Errno(E.EXDEV);
    if (isDir(src)) throw new Errno(E.EPERM);
    const up = this.copyUp(src);
    if (up.inode.kind !== "host") throw new Errno(E.EXDEV);
    const from = up.inode.hostPath;
    // The host's link(2) does not follow a final symlink, as Linux without AT_SYMLINK_FOLLOW.
    hostCall(() => fs.linkSync(hb(from), hb(this.createPath(to, mount, false))));
  }

  /** The dentry an open host file stands for (fd-based calls: fchmod, fchown, fstatfs, linkat AT_EMPTY_PATH). */
  fileDentry(file: File): Dentry | undefined {
    if (!(file instanceof HostFile) || file.path === undefined) return undefined;
    const hostPath = file.hostPath;
    const st = hostCall(() => fs.lstatSync(hb(hostPath), { bigint: true }));
    const mount = this.mountFor(file.path);
    return { path: file.path, inode: { kind: "host", hostPath, mount, st, lower: mount.overlay ? !mount.overlay.isUpper(hostPath) : undefined } };
  }

  /** A host inode whose attributes may change: the model's own nodes are EPERM, read-only mounts EROFS. */
  private setattrTarget(d: Dentry): { hostPath: string; link: boolean } {
    let inode = d.inode;
    if (inode.kind !== "host") throw new Errno(E.EPERM);
    if (!inode.mount.writable || this.isExeMount(inode.mount)) throw new Errno(E.EROFS);
    inode = this.copyUp(d, "owner").inode as typeof inode;
    return { hostPath: inode.hostPath, link: isSymlink(d) };
  }

  /** chmod_common: only the permission bits (S_IALLUGO) change. A symlink's mode cannot (fchmodat2). */
  chmod(d: Dentry, mode: number): void {
    const t = this.setattrTarget(d);
    if (t.link) throw new Errno(E.EOPNOTSUPP);
    hostCall(() => fs.chmodSync(hb(t.hostPath), hostMode(mode)));
  }

  /** chown_common: -1 leaves that id as it is; the host decides who may (EPERM when not root). */
  chown(d: Dentry, uid: number, gid: number): void {
    const t = this.setattrTarget(d);
    if (t.link) hostCall(() => fs.lchownSync(hb(t.hostPath), uid, gid));
    else hostCall(() => fs.chownSync(hb(t.hostPath), uid, gid));
  }

  /** vfs_statfs: the host's numbers for host inodes, procfs/devtmpfs-like ones for the model's. */
  statfs(d: Dentry): Kstatfs {
    const inode = d.inode;
    if (inode.kind !== "host") {
      const procfs = d.path === "/proc" || d.path.startsWith("/proc/");
      return { type: procfs ? PROC_SUPER_MAGIC : TMPFS_MAGIC, bsize: 4096n, blocks: 0n, bfree: 0n, bavail: 0n, files: 0n, ffree: 0n,
        fsid: [0, 0], namelen: 255n, frsize: 4096n, flags: BigInt(ST_VALID | (procfs ? ST_NOSUID | ST_NODEV | ST_NOEXEC : ST_NOSUID)) };
    }
    const flags = BigInt(ST_VALID | (inode.mount.writable && !this.isExeMount(inode.mount) ? 0 : ST_RDONLY));
    const dev = inode.st.dev;
    const fsid: [number, number] = [Number(dev & 0xffffffffn), Number((dev >> 32n) & 0xffffffffn)];
    const statfsSync = (fs as { statfsSync?: typeof fs.statfsSync }).statfsSync;
    if (typeof statfsSync !== "function") {
      // An old host without statfs: a plausible, mostly empty ext4.
      return { type: EXT4_SUPER_MAGIC, bsize: 4096n, blocks: 1n << 20n, bfree: 1n << 19n, bavail: 1n << 19n, files: 1n << 18n,
        ffree: 1n << 17n, fsid, namelen: 255n, frsize: 4096n, flags };
    }
    const s = hostCall(() => statfsSync(hb(inode.hostPath), { bigint: true }));
    return { type: s.type, bsize: s.bsize, blocks: s.blocks, bfree: s.bfree, bavail: s.bavail, files: s.files, ffree: s.ffree,
      fsid, namelen: 255n, frsize: s.bsize, flags };
  }

  /** do_faccessat's permission check on what the walk found (the host decides for host files). */
  access(d: Dentry, mode: number): void {
    const inode = d.inode;
    switch (inode.kind) {
      case "memdev": return devAccess(mode);
      case "modeldir": case "modelfile":
        inodePermission(d);
        if (mode & W_OK) throw new Errno(E.EACCES);
        return;
      case "modellink": return; // a link's own permissions are rwxrwxrwx; procfs refuses following it
      case "host": {
        const type = Number(inode.st.mode) & S_IFMT;
        const onFs = type === S_IFREG || type === S_IFDIR || type === S_IFLNK;
        if (mode & W_OK && onFs && !inode.mount.writable) throw new Errno(E.EROFS);
        if (type === S_IFLNK) return; // a symlink's own permissions are always rwxrwxrwx
        hostCall(() => fs.accessSync(hb(inode.hostPath), mode & (R_OK | W_OK | X_OK)));
      }
    }
  }

  /** vfs_truncate through a path. */
  truncate(nd: Nameidata, path: string, length: bigint): void {
    const d = this.walk(nd, path, true);
    if (isDir(d)) throw new Errno(E.EISDIR);
    if (d.inode.kind !== "host" || (Number(d.inode.st.mode) & S_IFMT) !== S_IFREG) throw new Errno(E.EINVAL);
    if (length < 0n) throw new Errno(E.EINVAL);
    if (this.isExeMount(d.inode.mount)) throw new Errno(E.ETXTBSY);
    if (!d.inode.mount.writable) throw new Errno(E.EROFS);
    const up = this.copyUp(d, "write").inode;
    const hostPath = up.kind === "host" ? up.hostPath : d.inode.hostPath;
    noteFileChange();
    hostCall(() => fs.truncateSync(hb(hostPath), Number(length)));
  }

  /** vfs_utimes: times in nanoseconds, undefined leaves that time as it is (UTIME_OMIT). */
  utimes(d: Dentry, atimeNs: bigint | undefined, mtimeNs: bigint | undefined): void {
    if (d.inode.kind !== "host") throw new Errno(E.EPERM);
    if (!d.inode.mount.writable) throw new Errno(E.EROFS);
    const inode = this.copyUp(d, "write").inode;
    if (inode.kind !== "host") throw new Errno(E.EPERM);
    const toSec = (ns: bigint): number => Number(ns) / 1e9;
    const at = atimeNs ?? inode.st.atimeNs;
    const mt = mtimeNs ?? inode.st.mtimeNs;
    noteFileChange();
    if (isSymlink(d)) hostCall(() => fs.lutimesSync(hb(inode.hostPath), toSec(at), toSec(mt)));
    else hostCall(() => fs.utimesSync(hb(inode.hostPath), toSec(at), toSec(mt)));
  }
}

/** f_flags as open leaves them: the creation-only flags are gone (do_dentry_open), O_CLOEXEC is the fd's. */
const fileFlags = (flags: number): number => flags & ~(O_CREAT | O_EXCL | O_NOCTTY | O_TRUNC | O_CLOEXEC);

const accessFmode = (acc: number): number =>
  acc === O_RDONLY ? FMODE_READ : acc === O_WRONLY ? FMODE_WRITE : acc === O_RDWR ? FMODE_READ | FMODE_WRITE : 0;

/** The host open(2) flags for a file the walk resolved: never follow, never let the host append. */
function hostOpenFlags(flags: number, dir = false): number {
  const c = fs.constants;
  if (flags & O_PATH) return (c as Record<string, number>).O_PATH ?? c.O_RDONLY;
  const acc = flags & O_ACCMODE;
  let h = acc === O_WRONLY ? c.O_WRONLY : acc === O_RDWR ? c.O_RDWR : c.O_RDONLY;
  if (flags & O_TRUNC && !dir) h |= c.O_TRUNC;
  if (dir) h |= c.O_DIRECTORY;
  return h | c.O_NOFOLLOW;
}
