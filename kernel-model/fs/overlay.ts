// A per-run scratch layer over a read-only host tree (fs/overlayfs, reduced).
//
// The host tree is the lower layer and is never written. The upper layer is a private scratch
// directory on the host, made on the first write and removed when the run ends. A lookup looks in
// the upper layer first, then in the lower one (ovl_lookup); the first write to a lower file copies
// it up, with its parent directories (ovl_copy_up); removing a lower name leaves a whiteout, and a
// directory made again where a lower one was removed is opaque (nothing of the lower one shows
// through). Linux keeps whiteouts and the opaque mark as 0/0 character devices and an xattr in the
// upper layer; here they are two sets in memory: creating device nodes and xattrs needs privileges
// the user may not have, and the layer lives no longer than the run anyway.
//
// Paths are byte strings relative to the overlay's mount point ("/" is its root), as in vfs.ts.

import * as fs from "node:fs";
import * as os from "node:os";
import * as nodePath from "node:path";
import type { DirEntry } from "./file.js";
import { hostCall } from "./host_errno.js";
import { readHostDir } from "./host_file.js";

const hb = (p: string): Buffer => Buffer.from(p, "latin1");
const under = (root: string, rel: string): string => (rel === "/" ? root : root === "/" ? rel : root + rel);
const lstat = (p: string): fs.BigIntStats | undefined => fs.lstatSync(hb(p), { bigint: true, throwIfNoEntry: false });

/** Every ancestor of `rel` below the root, outermost first ("/a/b/c" → "/a", "/a/b"). */
function ancestors(rel: string): string[] {
  const out: string[] = [];
  for (let i = rel.indexOf("/", 1); i > 0; i = rel.indexOf("/", i + 1)) out.push(rel.slice(0, i));
  return out;
}

/** Which layer a name is found in, and its attributes there. */
export interface OverlayEntry { hostPath: string; lower: boolean; st: fs.BigIntStats }

export class Overlay {
  private upperRoot: string | undefined;
  /** Lower names removed in this run (whiteouts). */
  private readonly whiteouts = new Set<string>();
  /** Upper directories that hide whatever the lower layer has below them. */
  private readonly opaque = new Set<string>();
  /** The way to the mount points of other mounts inside this one: always shown (a mount point exists). */
  private readonly pinned = new Set<string>();

  /**
   * `lowerRoot`: the host directory seen read-only. `mountpoints`: where other mounts sit in this
   * one; the way to them stays, even through a directory the guest removed and made again.
   */
  constructor(readonly lowerRoot: string, mountpoints: readonly string[] = []) {
    for (const m of mountpoints) for (const a of [...ancestors(m), m]) this.pinned.add(a);
  }

  /** ovl_lookup: the upper entry if there is one, else the lower one unless a whiteout hides it. */
  lookup(rel: string): OverlayEntry | undefined {
    if (this.upperRoot !== undefined) {
      const hostPath = under(this.upperRoot, rel);
      const st = hostCall(() => lstat(hostPath));
      if (st) return { hostPath, lower: false, st };
    }
    if (this.lowerHidden(rel)) return undefined;
    const hostPath = under(this.lowerRoot, rel);
    const st = hostCall(() => lstat(hostPath));
    return st && { hostPath, lower: true, st };
  }

  /** Whether the lower layer's `rel` is hidden by a whiteout or by an opaque directory above it. */
  private lowerHidden(rel: string): boolean {
    if (this.pinned.has(rel)) return false;
    if (this.whiteouts.has(rel)) return true;
    return ancestors(rel).some((a) => this.whiteouts.has(a) || this.opaque.has(a));
  }

  /** The lower layer still shows a name at `rel` (so removing it needs a whiteout). */
  private lowerHas(rel: string): boolean {
    return !this.lowerHidden(rel) && lstat(under(this.lowerRoot, rel)) !== undefined;
  }

  /** Is `hostPath` in the scratch layer (as opposed to the host tree)? */
  isUpper(hostPath: string): boolean {
    return this.upperRoot !== undefined && (hostPath === this.upperRoot || hostPath.startsWith(`${this.upperRoot}/`));
  }

  private upper(): string {
    if (this.upperRoot === undefined) {
      const dir = fs.mkdtempSync(nodePath.join(os.tmpdir(), "sysgate-scratch-"));
      this.upperRoot = Buffer.from(fs.realpathSync.native(dir), "utf8").toString("latin1");
    }
    return this.upperRoot;
  }

  /**
   * The upper path where `rel` is to be created (a new file, directory, symlink or link), with
   * its parent directories copied up; the name's whiteout goes, a new directory is opaque.
   */
  prepareCreate(rel: string, dir: boolean): string {
    this.copyUpParents(rel);
    const hidden = this.whiteouts.delete(rel) || this.lowerHas(rel);
    if (dir && hidden) this.opaque.add(rel);
    return under(this.upper(), rel);
  }

  /** The parent directories of `rel` in the upper layer, made with the lower ones' modes and times. */
  private copyUpParents(rel: string): void {
    const upper = this.upper();
    for (const a of ancestors(rel)) {
      if (lstat(under(upper, a))) continue;
      const low = lstat(under(this.lowerRoot, a));
      hostCall(() => fs.mkdirSync(hb(under(upper, a)), { mode: 0o700 }));
      this.copyAttrs(under(upper, a), low, false);
    }
  }

  private copyAttrs(hostPath: string, st: fs.BigIntStats | undefined, link: boolean): void {
    if (!st) return;
    try {
      if (!link) fs.chmodSync(hb(hostPath), Number(st.mode) & 0o7777);
      const at = Number(st.atimeNs) / 1e9, mt = Number(st.mtimeNs) / 1e9;
      if (link) fs.lutimesSync(hb(hostPath), at, mt);
      else fs.utimesSync(hb(hostPath), at, mt);
    } catch { /* a scratch file system without modes or times: the contents are what matter */ }
  }

  /**
   * ovl_copy_up: the lower `rel` copied into the upper layer (contents, mode, times; a symlink as
   * a symlink, a directory empty: its lower entries still show through it). Returns the upper path.
   */
  copyUp(rel: string): string {
    const found = this.lookup(rel);
    if (!found) throw new Error(`copy-up of a missing name ${rel}`);
    if (!found.lower) return found.hostPath;
    this.copyUpParents(rel);
    const to = under(this.upper(), rel);
    const type = Number(found.st.mode) & fs.constants.S_IFMT;
    if (type === fs.constants.S_IFDIR) hostCall(() => fs.mkdirSync(hb(to), { mode: 0o700 }));
    else if (type === fs.constants.S_IFLNK) hostCall(() => fs.symlinkSync(fs.readlinkSync(hb(found.hostPath), { encoding: "buffer" }), hb(to)));
    else hostCall(() => fs.copyFileSync(hb(found.hostPath), hb(to)));
    this.copyAttrs(to, found.st, type === fs.constants.S_IFLNK);
    return to;
  }

  /** After `rel` was removed from the upper layer (or never was there): a whiteout if the lower has it. */
  removed(rel: string): void {
    if (this.lowerHas(rel)) this.whiteouts.add(rel);
    this.opaque.delete(rel);
  }

  /** A directory's entries in the guest's view: the upper ones first, then the lower ones not hidden. */
  list(rel: string): DirEntry[] {
    const seen = new Set<string>();
    const out: DirEntry[] = [];
    const add = (entries: DirEntry[]): void => {
      for (const e of entries) if (!seen.has(e.name)) { seen.add(e.name); out.push(e); }
    };
    const upper = this.upperRoot !== undefined ? under(this.upperRoot, rel) : undefined;
    if (upper !== undefined && lstat(upper)) add(readHostDir(upper));
    if (!this.lowerHidden(rel) && lstat(under(this.lowerRoot, rel))?.isDirectory()) {
      const child = (name: string): string => (rel === "/" ? `/${name}` : `${rel}/${name}`);
      add(readHostDir(under(this.lowerRoot, rel)).filter((e) => !this.lowerHidden(child(e.name))));
    }
    return out;
  }

  /** The scratch layer goes when the run ends. */
  dispose(): void {
    if (this.upperRoot === undefined) return;
    try { fs.rmSync(hb(this.upperRoot), { recursive: true, force: true }); } catch { /* best effort */ }
    this.upperRoot = undefined;
  }
}
