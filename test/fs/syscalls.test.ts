import * as fs from "node:fs";
import * as path from "node:path";
import { afterAll, beforeEach, describe, expect, it } from "vitest";
import { E } from "../../kernel-model/errno.js";
import { DT_DIR, DT_REG } from "../../kernel-model/fs/fcntl.js";
import { machine, tmpdir, AT_FDCWD, type TestMachine } from "./helpers.js";
import { F_DUPFD, F_GETFD, F_GETFL, F_SETFD, F_SETFL, O_APPEND, O_CLOEXEC, O_CREAT, O_DIRECTORY, O_EXCL, O_LARGEFILE, O_NONBLOCK, O_RDONLY, O_RDWR, O_WRONLY } from "../../kernel-model/uapi/asm-generic/fcntl.js";
import { AT_REMOVEDIR, F_DUPFD_CLOEXEC } from "../../kernel-model/uapi/linux/fcntl.js";
import { SEEK_CUR, SEEK_END, SEEK_SET } from "../../kernel-model/uapi/linux/fs.js";

const base = tmpdir();
afterAll(() => fs.rmSync(base, { recursive: true, force: true }));
let dir: string;
let m: TestMachine;
let n = 0;
const setup = (abi: "x86_64" | "i386" = "x86_64"): void => {
  dir = path.join(base, `t${n++}`);
  fs.mkdirSync(dir);
  fs.writeFileSync(path.join(dir, "ten"), "0123456789");
  // /etc granted read-only (`--bind /etc:/etc:ro`): writes there are EROFS, not the scratch layer's
  m = machine(abi, { mode: "host", cwd: dir, exe: { hostPath: "/bin/sh", guestPath: "/bin/sh" }, getRandomBytes: () => {}, binds: [{ hostPath: "/etc", guestPath: "/etc", writable: false }] });
};
beforeEach(() => setup());
const open = (p: string, flags: number, mode = 0o644): bigint => m.sys("sys_openat", AT_FDCWD, m.mem.str(p), flags, mode);
const read = (fd: bigint, len: number): string | bigint => {
  const buf = m.mem.alloc(len);
  const r = m.sys("sys_read", fd, buf, len);
  return r < 0n ? r : m.mem.read(buf, Number(r)).toString();
};
const write = (fd: bigint, s: string): bigint => m.sys("sys_write", fd, m.mem.str(s), s.length);
const err = (e: number): bigint => BigInt(-e);

describe("open, read, write", () => {
  it("allocates the lowest free fd and reports O_LARGEFILE on x86_64", () => {
    const a = open("ten", O_RDONLY);
    const b = open("ten", O_RDONLY);
    expect([a, b]).toEqual([3n, 4n]);
    m.sys("sys_close", a);
    expect(open("ten", O_RDONLY)).toBe(3n);
    expect(m.sys("sys_fcntl", b, F_GETFL)).toBe(BigInt(O_RDONLY | O_LARGEFILE));
    expect(m.sys("sys_close", 3)).toBe(0n);
    expect(m.sys("sys_close", 3)).toBe(err(E.EBADF));
  });

  it("reads sequentially and returns 0 at the end", () => {
    const fd = open("ten", O_RDONLY);
    expect(read(fd, 4)).toBe("0123");
    expect(read(fd, 100)).toBe("456789");
    expect(read(fd, 100)).toBe("");
    expect(write(fd, "x")).toBe(err(E.EBADF));
  });

  it("creates with the umask applied, honours O_EXCL and O_APPEND", () => {
    m.task.umask = 0o027;
    const fd = open("new", O_CREAT | O_EXCL | O_WRONLY, 0o666);
    expect(fs.statSync(path.join(dir, "new")).mode & 0o777).toBe(0o640);
    expect(open("new", O_CREAT | O_EXCL | O_WRONLY)).toBe(err(E.EEXIST));
    expect(write(fd, "abc")).toBe(3n);
    const ap = open("new", O_WRONLY | O_APPEND);
    expect(m.sys("sys_lseek", ap, 0, SEEK_SET)).toBe(0n);
    expect(write(ap, "def")).toBe(3n);
    expect(fs.readFileSync(path.join(dir, "new"), "utf8")).toBe("abcdef");
    expect(m.sys("sys_creat", m.mem.str("new"), 0o644)).toBeGreaterThan(0n); // O_TRUNC
    expect(fs.statSync(path.join(dir, "new")).size).toBe(0);
  });

  it("distinguishes directories: EISDIR for writing, ENOTDIR for O_DIRECTORY on a file", () => {
    expect(open(".", O_WRONLY)).toBe(err(E.EISDIR));
    expect(open("ten", O_RDONLY | O_DIRECTORY)).toBe(err(E.ENOTDIR));
    const d = open(".", O_RDONLY | O_DIRECTORY);
    expect(read(d, 10)).toBe(err(E.EISDIR));
    expect(open("missing", O_RDONLY)).toBe(err(E.ENOENT));
  });

  it("pread64/pwrite64 leave the offset alone; readv/writev use iovecs of the ABI's width", () => {
    const fd = open("ten", O_RDWR);
    const buf = m.mem.alloc(4);
    expect(m.sys("sys_pread64", fd, buf, 3, 5)).toBe(3n);
    expect(m.mem.read(buf, 3).toString()).toBe("567");
    expect(m.sys("sys_pwrite64", fd, m.mem.str("AB"), 2, 8)).toBe(2n);
    expect(read(fd, 2)).toBe("01");
    const iov = m.mem.alloc(32);
    const [p, q] = [m.mem.alloc(3), m.mem.alloc(10)];
    const v = Buffer.alloc(32);
    v.writeBigUInt64LE(p, 0); v.writeBigUInt64LE(3n, 8); v.writeBigUInt64LE(q, 16); v.writeBigUInt64LE(10n, 24);
    m.mem.write(iov, v);
    expect(m.sys("sys_readv", fd, iov, 2)).toBe(8n);
    expect(m.mem.read(p, 3).toString() + m.mem.read(q, 5).toString()).toBe("234567AB");
    expect(m.sys("sys_readv", fd, iov, 1025)).toBe(err(E.EINVAL));
  });

  it("i386: readv reads 8-byte iovecs, pread64 joins the split position", () => {
    setup("i386");
    const fd = open("ten", O_RDONLY);
    const iov = m.mem.alloc(16);
    const [p, q] = [m.mem.alloc(2), m.mem.alloc(3)];
    const v = Buffer.alloc(16);
    v.writeUInt32LE(Number(p), 0); v.writeUInt32LE(2, 4); v.writeUInt32LE(Number(q), 8); v.writeUInt32LE(3, 12);
    m.mem.write(iov, v);
    expect(m.sys("sys_readv", fd, iov, 2)).toBe(5n);
    expect(m.mem.read(p, 2).toString() + m.mem.read(q, 3).toString()).toBe("01234");
    const buf = m.mem.alloc(2);
    expect(m.sys("sys_ia32_pread64", fd, buf, 2, 7, 0)).toBe(2n);
    expect(m.mem.read(buf, 2).toString()).toBe("78");
    expect(m.sys("sys_ia32_pread64", fd, buf, 2, 0, 0x80000000)).toBe(err(E.EINVAL)); // negative
  });
});

describe("lseek and _llseek", () => {
  it("lseek moves f_pos by SEEK_SET/CUR/END and rejects negative results", () => {
    const fd = open("ten", O_RDONLY);
    expect(m.sys("sys_lseek", fd, 4, SEEK_SET)).toBe(4n);
    expect(m.sys("sys_lseek", fd, 2, SEEK_CUR)).toBe(6n);
    expect(read(fd, 2)).toBe("67");
    expect(m.sys("sys_lseek", fd, -3, SEEK_END)).toBe(7n);
    expect(m.sys("sys_lseek", fd, -20, SEEK_END)).toBe(err(E.EINVAL));
    expect(m.sys("sys_lseek", fd, 0, 7)).toBe(err(E.EINVAL));
    expect(m.sys("sys_lseek", fd, 100, SEEK_SET)).toBe(100n);
    expect(read(fd, 5)).toBe("");
    expect(m.sys("sys_lseek", 1, 0, SEEK_CUR)).toBe(err(E.ESPIPE));
  });

  it("_llseek (i386) takes the offset in two halves and stores a 64-bit result", () => {
    setup("i386");
    const fd = open("ten", O_RDONLY);
    const res = m.mem.alloc(8);
    m.mem.write(res, Buffer.alloc(8, 0xff));
    expect(m.sys("sys_llseek", fd, 1, 5, res, SEEK_SET)).toBe(0n); // (1 << 32) + 5
    expect(m.mem.read(res, 8).readBigInt64LE(0)).toBe(0x1_0000_0005n);
    expect(m.sys("sys_llseek", fd, 0xffffffff, 0xfffffffe, res, SEEK_END)).toBe(0n); // -2
    expect(m.mem.read(res, 8).readBigInt64LE(0)).toBe(8n);
    expect(read(fd, 5)).toBe("89");
    // sys_lseek on i386 cannot return an offset past 2 GiB.
    expect(m.sys("sys_llseek", fd, 0, 0x80000000, res, SEEK_SET)).toBe(0n);
    expect(m.sys("sys_lseek", fd, 0, SEEK_CUR)).toBe(err(E.EOVERFLOW));
  });
});

describe("dup, dup2, dup3, fcntl", () => {
  it("dup shares the offset and status flags, not close-on-exec", () => {
    const fd = open("ten", O_RDONLY | O_CLOEXEC);
    expect(m.sys("sys_fcntl", fd, F_GETFD)).toBe(1n);
    const copy = m.sys("sys_dup", fd);
    expect(copy).toBe(4n);
    expect(m.sys("sys_fcntl", copy, F_GETFD)).toBe(0n);
    expect(read(fd, 3)).toBe("012");
    expect(read(copy, 3)).toBe("345");
    expect(m.sys("sys_fcntl", copy, F_SETFL, O_NONBLOCK)).toBe(0n);
    expect(m.sys("sys_fcntl", fd, F_GETFL) & BigInt(O_NONBLOCK)).toBe(BigInt(O_NONBLOCK));
    m.sys("sys_close", fd);
    expect(read(copy, 3)).toBe("678"); // the file lives on through the other fd
  });

  it("dup2 replaces the target, dup2(fd, fd) is a no-op, dup3 rejects it", () => {
    const fd = open("ten", O_RDONLY);
    expect(m.sys("sys_dup2", fd, 10)).toBe(10n);
    expect(read(10n, 2)).toBe("01");
    expect(m.sys("sys_dup2", fd, fd)).toBe(fd);
    expect(m.sys("sys_dup2", 50, 51)).toBe(err(E.EBADF));
    expect(m.sys("sys_dup3", fd, fd, 0)).toBe(err(E.EINVAL));
    expect(m.sys("sys_dup3", fd, 1, O_CLOEXEC)).toBe(1n);
    expect(m.sys("sys_fcntl", 1, F_GETFD)).toBe(1n);
    expect(m.sys("sys_dup3", fd, 2, 1)).toBe(err(E.EINVAL));
    expect(m.sys("sys_dup2", fd, 1024)).toBe(err(E.EBADF)); // RLIMIT_NOFILE
  });

  it("F_DUPFD finds the lowest free fd at or above the argument", () => {
    const fd = open("ten", O_RDONLY);
    expect(m.sys("sys_fcntl", fd, F_DUPFD, 7)).toBe(7n);
    expect(m.sys("sys_fcntl", fd, F_DUPFD, 7)).toBe(8n);
    expect(m.sys("sys_fcntl64", fd, F_DUPFD_CLOEXEC, 0)).toBe(4n);
    expect(m.sys("sys_fcntl", 4, F_GETFD)).toBe(1n);
    expect(m.sys("sys_fcntl", 4, F_SETFD, 0)).toBe(0n);
    expect(m.sys("sys_fcntl", 4, F_GETFD)).toBe(0n);
    expect(m.sys("sys_fcntl", fd, F_DUPFD, 1024)).toBe(err(E.EINVAL));
  });

  it("runs out of fds at RLIMIT_NOFILE with EMFILE", () => {
    m.task.rlimits.set(7, [6n, 6n]);
    const fds = [open("ten", O_RDONLY), open("ten", O_RDONLY), open("ten", O_RDONLY)];
    expect(fds).toEqual([3n, 4n, 5n]);
    expect(open("ten", O_RDONLY)).toBe(err(E.EMFILE));
  });

  it("ioctl on a regular file: TCGETS is ENOTTY, FIONREAD counts what is left, FIOCLEX marks the fd", () => {
    const fd = open("ten", O_RDONLY);
    expect(m.sys("sys_ioctl", fd, 0x5401, m.mem.alloc(64))).toBe(err(E.ENOTTY));
    expect(m.sys("sys_ioctl", fd, 0x5413, m.mem.alloc(8))).toBe(err(E.ENOTTY));
    read(fd, 4);
    const cnt = m.mem.alloc(4);
    expect(m.sys("sys_ioctl", fd, 0x541b, cnt)).toBe(0n);
    expect(m.mem.read(cnt, 4).readInt32LE(0)).toBe(6);
    expect(m.sys("sys_ioctl", fd, 0x5451, 0)).toBe(0n);
    expect(m.sys("sys_fcntl", fd, F_GETFD)).toBe(1n);
  });
});

describe("getcwd, chdir, fchdir, mkdir, unlinkat, rename", () => {
  const getcwd = (size = 4096): string | bigint => {
    const buf = m.mem.alloc(size);
    const r = m.sys("sys_getcwd", buf, size);
    return r < 0n ? r : m.mem.read(buf, Number(r)).toString("latin1");
  };

  it("getcwd returns the path and its length with the NUL, ERANGE if too small", () => {
    expect(getcwd()).toBe(`${dir}\0`);
    expect(getcwd(dir.length)).toBe(err(E.ERANGE));
    expect(getcwd(dir.length + 1)).toBe(`${dir}\0`);
  });

  it("chdir and fchdir move the cwd that relative paths start from", () => {
    expect(m.sys("sys_mkdir", m.mem.str("sub"), 0o755)).toBe(0n);
    expect(m.sys("sys_mkdir", m.mem.str("sub"), 0o755)).toBe(err(E.EEXIST));
    expect(m.sys("sys_chdir", m.mem.str("sub"))).toBe(0n);
    expect(getcwd()).toBe(`${dir}/sub\0`);
    expect(open("../ten", O_RDONLY)).toBeGreaterThan(0n);
    expect(m.sys("sys_chdir", m.mem.str("../ten"))).toBe(err(E.ENOTDIR));
    const up = open("..", O_RDONLY | O_DIRECTORY);
    expect(m.sys("sys_fchdir", up)).toBe(0n);
    expect(getcwd()).toBe(`${dir}\0`);
    expect(m.sys("sys_fchdir", open("ten", O_RDONLY))).toBe(err(E.ENOTDIR));
  });

  it("mkdirat/unlinkat/renameat work relative to a dirfd", () => {
    m.sys("sys_mkdir", m.mem.str("d"), 0o700);
    const d = open("d", O_RDONLY | O_DIRECTORY);
    expect(m.sys("sys_mkdirat", d, m.mem.str("inner"), 0o755)).toBe(0n);
    expect(fs.statSync(path.join(dir, "d/inner")).isDirectory()).toBe(true);
    expect(m.sys("sys_renameat", AT_FDCWD, m.mem.str("ten"), d, m.mem.str("moved"))).toBe(0n);
    expect(fs.readFileSync(path.join(dir, "d/moved"), "utf8")).toBe("0123456789");
    expect(m.sys("sys_renameat2", d, m.mem.str("moved"), d, m.mem.str("inner"), 1)).toBe(err(E.EEXIST));
    expect(m.sys("sys_renameat2", d, m.mem.str("moved"), d, m.mem.str("x"), 2)).toBe(err(E.EINVAL));
    expect(m.sys("sys_unlinkat", d, m.mem.str("inner"), 0)).toBe(err(E.EISDIR));
    expect(m.sys("sys_unlinkat", d, m.mem.str("moved"), AT_REMOVEDIR)).toBe(err(E.ENOTDIR));
    expect(m.sys("sys_unlinkat", d, m.mem.str("inner"), AT_REMOVEDIR)).toBe(0n);
    expect(m.sys("sys_unlinkat", d, m.mem.str("moved"), 0)).toBe(0n);
    expect(m.sys("sys_rmdir", m.mem.str("d/."))).toBe(err(E.EINVAL));
    expect(m.sys("sys_rmdir", m.mem.str("d"))).toBe(0n);
    expect(fs.readdirSync(dir)).toEqual([]);
  });

  it("access/faccessat2 check existence and permissions", () => {
    expect(m.sys("sys_access", m.mem.str("ten"), 4)).toBe(0n);
    expect(m.sys("sys_access", m.mem.str("nope"), 0)).toBe(err(E.ENOENT));
    expect(m.sys("sys_faccessat2", AT_FDCWD, m.mem.str("ten"), 8, 0)).toBe(err(E.EINVAL));
    expect(m.sys("sys_faccessat", AT_FDCWD, m.mem.str("/etc"), 2)).toBe(err(E.EROFS));
  });

  it("umask returns the previous mask", () => {
    expect(m.sys("sys_umask", 0o077)).toBe(0o022n);
    expect(m.sys("sys_umask", 0o1777)).toBe(0o077n);
    expect(m.task.umask).toBe(0o777);
  });
});

describe("getdents64", () => {
  interface Rec { ino: bigint; off: bigint; reclen: number; type: number; name: string }
  const parse = (b: Buffer): Rec[] => {
    const out: Rec[] = [];
    for (let o = 0; o < b.length;) {
      const reclen = b.readUInt16LE(o + 16);
      const nameEnd = b.indexOf(0, o + 19);
      out.push({ ino: b.readBigUInt64LE(o), off: b.readBigInt64LE(o + 8), reclen, type: b[o + 18]!, name: b.subarray(o + 19, nameEnd).toString() });
      o += reclen;
    }
    return out;
  };

  it("lists . and .. and every entry once, resuming across calls", () => {
    fs.mkdirSync(path.join(dir, "sub"));
    for (const f of ["a", "bb", "a-much-longer-file-name"]) fs.writeFileSync(path.join(dir, f), "");
    const fd = open(".", O_RDONLY | O_DIRECTORY);
    const buf = m.mem.alloc(64);
    const all: Rec[] = [];
    for (;;) {
      const r = m.sys("sys_getdents64", fd, buf, 64);
      expect(r).toBeGreaterThanOrEqual(0n);
      if (r === 0n) break;
      all.push(...parse(m.mem.read(buf, Number(r))));
    }
    expect(all.map((r) => r.name).sort()).toEqual([".", "..", "a", "a-much-longer-file-name", "bb", "sub", "ten"]);
    for (const r of all) {
      expect(r.reclen % 8).toBe(0);
      expect(r.reclen).toBe((19 + r.name.length + 1 + 7) & ~7);
    }
    const byName = new Map(all.map((r) => [r.name, r]));
    expect(byName.get(".")!.type).toBe(DT_DIR);
    expect(byName.get("sub")!.type).toBe(DT_DIR);
    expect(byName.get("ten")!.type).toBe(DT_REG);
    expect(byName.get("ten")!.ino).toBe(fs.statSync(path.join(dir, "ten"), { bigint: true }).ino);
    expect(byName.get(".")!.ino).toBe(fs.statSync(dir, { bigint: true }).ino);
    expect(byName.get("..")!.ino).toBe(fs.statSync(path.dirname(dir), { bigint: true }).ino);
    expect(all.map((r) => r.off)).toEqual(all.map((_, i) => BigInt(i + 1)));
    // Too small for even one record; rewinding lists again.
    expect(m.sys("sys_lseek", fd, 0, SEEK_SET)).toBe(0n);
    expect(m.sys("sys_getdents64", fd, buf, 16)).toBe(err(E.EINVAL));
    expect(parse(m.mem.read(buf, Number(m.sys("sys_getdents64", fd, buf, 64))))[0]!.name).toBe(all[0]!.name);
    expect(m.sys("sys_getdents64", open("ten", O_RDONLY), buf, 64)).toBe(err(E.ENOTDIR));
  });
});

describe("sendfile", () => {
  it("copies from f_pos, or from *offset leaving f_pos alone (64-bit loff_t)", () => {
    const src = open("ten", O_RDONLY);
    const dst = open("out", O_CREAT | O_WRONLY);
    m.sys("sys_lseek", src, 2, SEEK_SET);
    expect(m.sys("sys_sendfile64", dst, src, 0, 3)).toBe(3n);
    expect(m.sys("sys_lseek", src, 0, SEEK_CUR)).toBe(5n);
    const off = m.mem.alloc(8);
    const b = Buffer.alloc(8); b.writeBigInt64LE(7n); m.mem.write(off, b);
    expect(m.sys("sys_sendfile64", dst, src, off, 100)).toBe(3n);
    expect(m.mem.read(off, 8).readBigInt64LE(0)).toBe(10n);
    expect(m.sys("sys_lseek", src, 0, SEEK_CUR)).toBe(5n);
    expect(fs.readFileSync(path.join(dir, "out"), "utf8")).toBe("234789");
    expect(m.sys("sys_sendfile64", open("out", O_WRONLY | O_APPEND), src, 0, 1)).toBe(err(E.EINVAL));
  });

  it("i386 sendfile takes a 32-bit off_t", () => {
    setup("i386");
    const src = open("ten", O_RDONLY);
    const dst = open("out", O_CREAT | O_WRONLY);
    const off = m.mem.alloc(8);
    m.mem.write(off, Buffer.from([4, 0, 0, 0, 0xaa, 0xaa, 0xaa, 0xaa]));
    expect(m.sys("sys_sendfile", dst, src, off, 2)).toBe(2n);
    expect([...m.mem.read(off, 8)]).toEqual([6, 0, 0, 0, 0xaa, 0xaa, 0xaa, 0xaa]);
    expect(fs.readFileSync(path.join(dir, "out"), "utf8")).toBe("45");
  });
});

describe("truncate", () => {
  it("truncate, ftruncate and the i386 split-length forms", () => {
    expect(m.sys("sys_truncate", m.mem.str("ten"), 4)).toBe(0n);
    expect(fs.readFileSync(path.join(dir, "ten"), "utf8")).toBe("0123");
    const fd = open("ten", O_RDONLY);
    expect(m.sys("sys_ftruncate", fd, 1)).toBe(err(E.EINVAL)); // not open for writing
    expect(m.sys("sys_ftruncate", open("ten", O_RDWR), 2)).toBe(0n);
    expect(fs.statSync(path.join(dir, "ten")).size).toBe(2);
    expect(m.sys("sys_truncate", m.mem.str("/etc/passwd"), 0)).toBe(err(E.EROFS));
    setup("i386");
    expect(m.sys("sys_ia32_ftruncate64", open("ten", O_WRONLY), 3, 0)).toBe(0n);
    expect(fs.readFileSync(path.join(dir, "ten"), "utf8")).toBe("012");
  });
});
