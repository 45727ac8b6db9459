import * as fs from "node:fs";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { E } from "../../kernel-model/errno.js";
import { O_CREAT, O_RDONLY, O_WRONLY } from "../../kernel-model/uapi/asm-generic/fcntl.js";
import type { Nameidata } from "../../kernel-model/fs/namei.js";
import { Vfs } from "../../kernel-model/fs/vfs.js";
import { tmpdir } from "./helpers.js";

const nd = (start = "/"): Nameidata => ({ root: "/", start, pid: 100 });
const readAll = (vfs: Vfs, n: Nameidata, p: string): string => {
  const f = vfs.open(n, p, O_RDONLY, 0);
  const b = Buffer.alloc(256);
  const len = f.read(b);
  f.fput();
  return b.subarray(0, len).toString();
};
const errnoOf = (fn: () => unknown): number | undefined => {
  try { fn(); } catch (e) { return (e as { errno?: number }).errno; }
  return undefined;
};

describe("path walk in --root mode", () => {
  let root: string;
  let outside: string;
  let vfs: Vfs;
  beforeAll(() => {
    const base = tmpdir();
    root = path.join(base, "root");
    outside = path.join(base, "outside");
    fs.mkdirSync(path.join(root, "etc"), { recursive: true });
    fs.mkdirSync(path.join(root, "a/b"), { recursive: true });
    fs.mkdirSync(outside);
    fs.writeFileSync(path.join(root, "etc/passwd"), "guest passwd\n");
    fs.writeFileSync(path.join(outside, "secret"), "host secret\n");
    fs.writeFileSync(path.join(root, "file"), "x");
    fs.symlinkSync("/etc", path.join(root, "etclink"));
    fs.symlinkSync("../../../../../../../etc/passwd", path.join(root, "a/b/up"));
    fs.symlinkSync(path.join(outside, "secret"), path.join(root, "hostabs"));
    fs.symlinkSync("../outside/secret", path.join(root, "rel-escape"));
    fs.symlinkSync("loop2", path.join(root, "loop1"));
    fs.symlinkSync("loop1", path.join(root, "loop2"));
    // chain: c0 -> c1 -> ... -> cN -> file
    for (let i = 0; i < 41; i++) fs.symlinkSync(i === 40 ? "file" : `c${i + 1}`, path.join(root, `c${i}`));
    vfs = new Vfs({ mode: "root", root, getRandomBytes: () => {} });
  });
  afterAll(() => fs.rmSync(path.dirname(root), { recursive: true, force: true }));

  it("stays at the guest root on ..", () => {
    expect(vfs.walk(nd(), "/../../..", true).path).toBe("/");
    expect(readAll(vfs, nd(), "/../../etc/passwd")).toBe("guest passwd\n");
    expect(readAll(vfs, nd("/a/b"), "../../../../etc/passwd")).toBe("guest passwd\n");
  });

  it("resolves absolute symlinks from the guest root, not the host's", () => {
    expect(vfs.walk(nd(), "/etclink/passwd", true).path).toBe("/etc/passwd");
    expect(readAll(vfs, nd(), "/etclink/passwd")).toBe("guest passwd\n");
  });

  it("keeps relative symlinks with many .. inside the root", () => {
    expect(readAll(vfs, nd(), "/a/b/up")).toBe("guest passwd\n");
  });

  it("never reaches host paths outside the root through symlinks", () => {
    // The host-absolute target is looked up inside the guest, where it does not exist.
    expect(errnoOf(() => vfs.walk(nd(), "/hostabs", true))).toBe(E.ENOENT);
    expect(errnoOf(() => vfs.walk(nd(), "/rel-escape", true))).toBe(E.ENOENT);
  });

  it("answers ELOOP after 40 links, and follows a chain of exactly 40", () => {
    expect(errnoOf(() => vfs.walk(nd(), "/loop1", true))).toBe(E.ELOOP);
    expect(vfs.walk(nd(), "/c1", true).path).toBe("/file"); // 40 links
    expect(errnoOf(() => vfs.walk(nd(), "/c0", true))).toBe(E.ELOOP); // 41 links
  });

  it("returns the symlink itself without follow", () => {
    expect(vfs.readlink(nd(), "/etclink")).toBe("/etc");
    expect(vfs.stat(nd(), "/etclink", false).mode & 0o170000).toBe(0o120000);
  });

  it("answers ENOTDIR through a file and for a trailing slash on a file", () => {
    expect(errnoOf(() => vfs.walk(nd(), "/file/x", true))).toBe(E.ENOTDIR);
    expect(errnoOf(() => vfs.walk(nd(), "/file/", true))).toBe(E.ENOTDIR);
    expect(vfs.walk(nd(), "/etclink/", false).path).toBe("/etc");
  });

  it("answers ENAMETOOLONG for a component over 255 bytes", () => {
    expect(errnoOf(() => vfs.walk(nd(), `/${"n".repeat(256)}`, true))).toBe(E.ENAMETOOLONG);
  });

  it("writes inside the root", () => {
    const f = vfs.open(nd(), "/etc/new", O_CREAT | O_WRONLY, 0o640);
    f.write(Buffer.from("hi"));
    f.fput();
    expect(fs.readFileSync(path.join(root, "etc/new"), "utf8")).toBe("hi");
    expect(fs.statSync(path.join(root, "etc/new")).mode & 0o777).toBe(0o640);
  });

  it("honours a chroot-style root in the walk", () => {
    const inner: Nameidata = { root: "/a", start: "/a/b", pid: 100 };
    expect(vfs.walk(inner, "../../..", true).path).toBe("/a");
    expect(vfs.walk(inner, "/b", true).path).toBe("/a/b");
  });
});

describe("path walk in host mode", () => {
  let base: string;
  let vfs: Vfs;
  beforeAll(() => {
    base = tmpdir();
    fs.mkdirSync(path.join(base, "rw"));
    fs.mkdirSync(path.join(base, "ro"));
    fs.writeFileSync(path.join(base, "ro/file"), "read only\n");
    fs.symlinkSync("../ro/file", path.join(base, "rw/link"));
    vfs = new Vfs({ mode: "host", cwd: path.join(base, "rw"), getRandomBytes: () => {},
      binds: [{ hostPath: path.join(base, "ro"), guestPath: path.join(base, "ro"), writable: false }] });
  });
  afterAll(() => fs.rmSync(base, { recursive: true, force: true }));

  it("starts in the host cwd, mounted at the same path", () => {
    expect(vfs.initialCwd).toBe(path.join(base, "rw"));
    expect(vfs.mountFor(path.join(base, "rw/x")).writable).toBe(true);
    expect(vfs.mountFor(path.join(base, "ro/x")).writable).toBe(false);
  });

  it("reads the host tree", () => {
    expect(readAll(vfs, nd(), path.join(base, "ro/file"))).toBe("read only\n");
    expect(readAll(vfs, nd(vfs.initialCwd), "link")).toBe("read only\n");
  });

  it("fails writes outside the cwd mount with EROFS", () => {
    const n = nd(vfs.initialCwd);
    expect(errnoOf(() => vfs.open(n, "../ro/new", O_CREAT | O_WRONLY, 0o644))).toBe(E.EROFS);
    expect(errnoOf(() => vfs.open(n, "../ro/file", O_WRONLY, 0))).toBe(E.EROFS);
    expect(errnoOf(() => vfs.open(n, "link", O_WRONLY, 0))).toBe(E.EROFS); // through a symlink
    expect(errnoOf(() => vfs.mkdir(n, "../ro/d", 0o755))).toBe(E.EROFS);
    expect(errnoOf(() => vfs.unlink(n, "../ro/file"))).toBe(E.EROFS);
    expect(errnoOf(() => vfs.rename(n, "../ro/file", n, "../ro/file2", 0))).toBe(E.EROFS);
    expect(errnoOf(() => vfs.rename(n, "../ro/file", n, "moved", 0))).toBe(E.EXDEV);
    expect(fs.existsSync(path.join(base, "ro/file"))).toBe(true);
  });

  it("writes inside the cwd mount", () => {
    const n = nd(vfs.initialCwd);
    vfs.mkdir(n, "dir", 0o755);
    const f = vfs.open(n, "dir/f", O_CREAT | O_WRONLY, 0o600);
    f.fput();
    vfs.rename(n, "dir/f", n, "dir/g", 0);
    expect(fs.existsSync(path.join(base, "rw/dir/g"))).toBe(true);
    vfs.unlink(n, "dir/g");
    vfs.rmdir(n, "dir");
    expect(fs.existsSync(path.join(base, "rw/dir"))).toBe(false);
    expect(errnoOf(() => vfs.rmdir(n, vfs.initialCwd))).toBe(E.EBUSY); // the mount point
  });
});
