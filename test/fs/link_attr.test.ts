// symlink/link, chmod/chown, statfs, utime(s), fadvise/readahead/flock/fallocate/close_range,
// called as the dispatcher calls them, on a host directory the guest sees read-write (its cwd)
// inside a read-only host "/".
import * as fs from "node:fs";
import * as path from "node:path";
import { beforeEach, describe, expect, it } from "vitest";
import { E } from "../../kernel-model/errno.js";
import { O_CREAT, O_PATH, O_RDONLY, O_RDWR, O_WRONLY } from "../../kernel-model/uapi/asm-generic/fcntl.js";
import { AT_EMPTY_PATH, AT_SYMLINK_FOLLOW, AT_SYMLINK_NOFOLLOW } from "../../kernel-model/uapi/linux/fcntl.js";
import { pipeSyscalls } from "../../kernel-model/syscalls/fs/pipe.js";
import { STATFS64_SIZE_I386 } from "../../kernel-model/syscalls/fs/statfs.js";
import { AT_FDCWD, machine, tmpdir, type TestMachine } from "./helpers.js";

let dir: string;
const setup = (abi: "x86_64" | "i386"): TestMachine =>
  // /etc granted read-only, as `--bind /etc:/etc:ro` would: writes there are EROFS, not the scratch layer's
  machine(abi, { mode: "host", cwd: dir, exe: { hostPath: "/bin/sh", guestPath: "/bin/sh" }, getRandomBytes: () => {}, binds: [{ hostPath: "/etc", guestPath: "/etc", writable: false }] });
let m: TestMachine;
const s = (p: string): bigint => m.mem.str(p);
const open = (p: string, flags: number, mode = 0o644): number => Number(m.sys("sys_openat", AT_FDCWD, s(p), flags, mode));
const host = (p: string): string => path.join(dir, p);

beforeEach(() => {
  dir = tmpdir();
  m = setup("x86_64");
  fs.writeFileSync(host("f"), "hello");
});

describe("symlink, link", () => {
  it("symlink stores the text as given; the walk resolves it inside the guest", () => {
    expect(m.sys("sys_symlink", s("f"), s("l"))).toBe(0n);
    expect(fs.readlinkSync(host("l"))).toBe("f");
    expect(m.sys("sys_symlinkat", s("/etc/passwd"), AT_FDCWD, s("abs"))).toBe(0n);
    expect(fs.readlinkSync(host("abs"))).toBe("/etc/passwd");
    expect(m.sys("sys_symlink", s("x"), s("f"))).toBe(BigInt(-E.EEXIST));
    expect(m.sys("sys_symlink", s(""), s("e"))).toBe(BigInt(-E.ENOENT));
    expect(m.sys("sys_symlink", s("x"), s("/etc/sysgate-link"))).toBe(BigInt(-E.EROFS));
    expect(m.sys("sys_symlink", s("x"), s("nodir/l"))).toBe(BigInt(-E.ENOENT));
  });

  it("link makes a second name; linkat follows a final symlink only with AT_SYMLINK_FOLLOW", () => {
    expect(m.sys("sys_link", s("f"), s("g"))).toBe(0n);
    expect(fs.statSync(host("g")).ino).toBe(fs.statSync(host("f")).ino);
    expect(fs.statSync(host("f")).nlink).toBe(2);
    fs.symlinkSync("f", host("l"));
    expect(m.sys("sys_linkat", AT_FDCWD, s("l"), AT_FDCWD, s("l2"), 0)).toBe(0n);
    expect(fs.lstatSync(host("l2")).isSymbolicLink()).toBe(true);
    expect(m.sys("sys_linkat", AT_FDCWD, s("l"), AT_FDCWD, s("l3"), AT_SYMLINK_FOLLOW)).toBe(0n);
    expect(fs.lstatSync(host("l3")).ino).toBe(fs.statSync(host("f")).ino);
    expect(m.sys("sys_linkat", AT_FDCWD, s("f"), AT_FDCWD, s("x"), 0x8000)).toBe(BigInt(-E.EINVAL));
  });

  it("link errors: EEXIST, EPERM for a directory, EXDEV across mounts, EROFS on the read-only one", () => {
    fs.mkdirSync(host("d"));
    expect(m.sys("sys_link", s("f"), s("f"))).toBe(BigInt(-E.EEXIST));
    expect(m.sys("sys_link", s("d"), s("d2"))).toBe(BigInt(-E.EPERM));
    expect(m.sys("sys_link", s("/bin/sh"), s("sh"))).toBe(BigInt(-E.EXDEV));
    expect(m.sys("sys_link", s("f"), s("/etc/sysgate-f"))).toBe(BigInt(-E.EROFS));
    expect(m.sys("sys_link", s("/dev/null"), s("null"))).toBe(BigInt(-E.EXDEV));
    expect(m.sys("sys_link", s("missing"), s("z"))).toBe(BigInt(-E.ENOENT));
  });

  it("linkat AT_EMPTY_PATH links the file an fd refers to", () => {
    const fd = open("f", O_RDONLY);
    expect(m.sys("sys_linkat", fd, s(""), AT_FDCWD, s("byfd"), AT_EMPTY_PATH)).toBe(0n);
    expect(fs.statSync(host("byfd")).ino).toBe(fs.statSync(host("f")).ino);
    expect(m.sys("sys_linkat", fd, s(""), AT_FDCWD, s("x"), 0)).toBe(BigInt(-E.ENOENT));
  });
});

describe("chmod, chown", () => {
  it("chmod, fchmod, fchmodat keep the permission bits only", () => {
    expect(m.sys("sys_chmod", s("f"), 0o100600)).toBe(0n);
    expect(fs.statSync(host("f")).mode & 0o7777).toBe(0o600);
    const fd = open("f", O_RDONLY);
    expect(m.sys("sys_fchmod", fd, 0o1755)).toBe(0n);
    expect(fs.statSync(host("f")).mode & 0o7777).toBe(0o1755);
    expect(m.sys("sys_fchmodat", AT_FDCWD, s("f"), 0o640)).toBe(0n);
    expect(fs.statSync(host("f")).mode & 0o7777).toBe(0o640);
    expect(m.sys("sys_chmod", s("/etc/passwd"), 0o600)).toBe(BigInt(-E.EROFS));
    expect(m.sys("sys_chmod", s("nope"), 0o600)).toBe(BigInt(-E.ENOENT));
    expect(m.sys("sys_fchmod", 77, 0o600)).toBe(BigInt(-E.EBADF));
  });

  it("set-id bits never reach a host file: chmod, fchmod, fchmodat, open(O_CREAT) and mkdir modes", () => {
    const fd = open("f", O_RDONLY);
    const calls: [string, () => bigint, string][] = [
      ["chmod 04755", () => m.sys("sys_chmod", s("f"), 0o4755), "f"],
      ["fchmod 02755", () => m.sys("sys_fchmod", fd, 0o2755), "f"],
      ["fchmodat 06777", () => m.sys("sys_fchmodat", AT_FDCWD, s("f"), 0o6777), "f"],
      ["open O_CREAT 04755", () => m.sys("sys_openat", AT_FDCWD, s("suid-new"), O_CREAT | O_WRONLY, 0o4755), "suid-new"],
      ["mkdir 02775", () => m.sys("sys_mkdirat", AT_FDCWD, s("sgid-dir"), 0o2775), "sgid-dir"],
    ];
    for (const [what, call, file] of calls) {
      expect(call(), what).toBeGreaterThanOrEqual(0n);
      expect(fs.statSync(host(file)).mode & 0o6000, what).toBe(0);
    }
    expect(fs.statSync(host("f")).mode & 0o777).toBe(0o777); // the permission bits still apply
  });

  it("fchmodat2: AT_SYMLINK_NOFOLLOW on a symlink is EOPNOTSUPP, unknown flags EINVAL, O_PATH fds EBADF for fchmod", () => {
    fs.symlinkSync("f", host("l"));
    expect(m.sys("sys_fchmodat2", AT_FDCWD, s("l"), 0o600, AT_SYMLINK_NOFOLLOW)).toBe(BigInt(-E.EOPNOTSUPP));
    expect(m.sys("sys_fchmodat2", AT_FDCWD, s("l"), 0o600, 0)).toBe(0n);
    expect(fs.statSync(host("f")).mode & 0o777).toBe(0o600);
    expect(m.sys("sys_fchmodat2", AT_FDCWD, s("f"), 0o600, 1)).toBe(BigInt(-E.EINVAL));
    const pfd = open("f", O_PATH);
    expect(m.sys("sys_fchmod", pfd, 0o644)).toBe(BigInt(-E.EBADF));
    expect(m.sys("sys_fchmodat2", pfd, s(""), 0o644, AT_EMPTY_PATH)).toBe(0n);
    expect(fs.statSync(host("f")).mode & 0o777).toBe(0o644);
  });

  it("chown and friends change ids on the host (-1 keeps one); lchown acts on the link", () => {
    const root = process.getuid?.() === 0;
    fs.symlinkSync("f", host("l"));
    const r = m.sys("sys_chown", s("f"), 1234, 0xffffffff);
    if (!root) { expect(r).toBe(BigInt(-E.EPERM)); return; }
    expect(r).toBe(0n);
    const before = fs.statSync(host("f"));
    expect(before.uid).toBe(1234);
    expect(m.sys("sys_lchown", s("l"), 4321, 99)).toBe(0n);
    expect(fs.lstatSync(host("l")).uid).toBe(4321);
    expect(fs.statSync(host("f")).uid).toBe(1234);
    const fd = open("f", O_RDONLY);
    expect(m.sys("sys_fchown", fd, 0xffffffff, 77)).toBe(0n);
    expect(fs.statSync(host("f")).gid).toBe(77);
    expect(m.sys("sys_fchownat", AT_FDCWD, s("l"), 5, 5, AT_SYMLINK_NOFOLLOW)).toBe(0n);
    expect(fs.lstatSync(host("l")).uid).toBe(5);
    expect(m.sys("sys_fchownat", AT_FDCWD, s("l"), 5, 5, 0x2)).toBe(BigInt(-E.EINVAL));
    expect(m.sys("sys_chown", s("/etc/passwd"), 0, 0)).toBe(BigInt(-E.EROFS));
  });

  it("i386's 16-bit forms read 16-bit ids, 0xffff meaning unchanged", () => {
    m = setup("i386");
    if (process.getuid?.() !== 0) return;
    expect(m.sys("sys_chown16", s("f"), 0x10007, 0xffff)).toBe(0n);
    const st = fs.statSync(host("f"));
    expect(st.uid).toBe(7);
    const fd = open("f", O_RDONLY);
    expect(m.sys("sys_fchown16", fd, 0xffff, 8)).toBe(0n);
    expect(fs.statSync(host("f")).uid).toBe(7);
    expect(fs.statSync(host("f")).gid).toBe(8);
  });
});

describe("statfs", () => {
  it("x86_64 struct statfs: the host's numbers, ST_RDONLY on the read-only mount", () => {
    const buf = m.mem.alloc(120);
    expect(m.sys("sys_statfs", s("f"), buf)).toBe(0n);
    const b = m.mem.read(buf, 120);
    const h = fs.statfsSync(host("f"), { bigint: true });
    expect(b.readBigInt64LE(0)).toBe(h.type);
    expect(b.readBigInt64LE(8)).toBe(h.bsize);
    expect(b.readBigInt64LE(16)).toBe(h.blocks);
    expect(b.readBigInt64LE(64)).toBe(255n);
    expect(b.readBigInt64LE(80) & 0x21n).toBe(0x20n);
    expect(m.sys("sys_statfs", s("/etc"), buf)).toBe(0n);
    expect(m.mem.read(buf, 120).readBigInt64LE(80) & 1n).toBe(1n);
    const fd = open("f", O_RDONLY);
    expect(m.sys("sys_fstatfs", fd, buf)).toBe(0n);
    expect(m.mem.read(buf, 120).readBigInt64LE(0)).toBe(h.type);
    expect(m.sys("sys_statfs", s("/proc/self"), buf)).toBe(0n);
    expect(m.sys("sys_statfs", s("missing"), buf)).toBe(BigInt(-E.ENOENT));
    expect(m.sys("sys_fstatfs", 99, buf)).toBe(BigInt(-E.EBADF));
  });

  it("i386 statfs64 is 84 packed bytes and checks the size it is given", () => {
    m = setup("i386");
    const buf = m.mem.alloc(96);
    expect(m.sys("sys_statfs64", s("f"), 88, buf)).toBe(BigInt(-E.EINVAL));
    expect(m.sys("sys_statfs64", s("f"), STATFS64_SIZE_I386, buf)).toBe(0n);
    const b = m.mem.read(buf, STATFS64_SIZE_I386);
    const h = fs.statfsSync(host("f"), { bigint: true });
    expect(BigInt(b.readUInt32LE(0))).toBe(h.type & 0xffffffffn);
    expect(BigInt(b.readUInt32LE(4))).toBe(h.bsize);
    expect(b.readBigUInt64LE(8)).toBe(h.blocks);
    expect(b.readBigUInt64LE(32)).toBe(h.files); // f_files: f_ffree moves as other tests make files
    expect(b.readUInt32LE(56)).toBe(255);
    const fd = open("f", O_RDONLY);
    expect(m.sys("sys_fstatfs64", fd, STATFS64_SIZE_I386, buf)).toBe(0n);
    const small = m.mem.alloc(64);
    const r = m.sys("sys_statfs", s("f"), small);
    expect(r === 0n || r === BigInt(-E.EOVERFLOW)).toBe(true);
    if (r === 0n) expect(BigInt(m.mem.read(small, 64).readUInt32LE(8))).toBe(h.blocks);
  });
});

describe("utime, utimes, futimesat", () => {
  it("set whole seconds (utime) or microseconds (utimes), NULL meaning now", () => {
    const ub = m.mem.alloc(16);
    m.mem.write(ub, Buffer.from(new BigInt64Array([1000n, 2000n]).buffer));
    expect(m.sys("sys_utime", s("f"), ub)).toBe(0n);
    let st = fs.statSync(host("f"), { bigint: true });
    expect(st.atimeNs).toBe(1000_000_000_000n);
    expect(st.mtimeNs).toBe(2000_000_000_000n);
    const tv = m.mem.alloc(32);
    m.mem.write(tv, Buffer.from(new BigInt64Array([10n, 5n, 20n, 999_999n]).buffer));
    expect(m.sys("sys_futimesat", AT_FDCWD, s("f"), tv)).toBe(0n);
    st = fs.statSync(host("f"), { bigint: true });
    // The host is handed seconds as a double: exact to the microsecond at best.
    expect(Math.abs(Number(st.atimeNs - 10_000_005_000n))).toBeLessThanOrEqual(1000);
    expect(Math.abs(Number(st.mtimeNs - 20_999_999_000n))).toBeLessThanOrEqual(1000);
    m.mem.write(tv, Buffer.from(new BigInt64Array([10n, 1_000_000n, 20n, 0n]).buffer));
    expect(m.sys("sys_utimes", s("f"), tv)).toBe(BigInt(-E.EINVAL));
    expect(m.sys("sys_utimes", s("f"), 0)).toBe(0n);
    expect(fs.statSync(host("f"), { bigint: true }).mtimeNs).toBe(1_700_000_000_000_000_000n);
  });

  it("i386 forms use 32-bit longs", () => {
    m = setup("i386");
    const ub = m.mem.alloc(8);
    m.mem.write(ub, Buffer.from(new Int32Array([300, 400]).buffer));
    expect(m.sys("sys_utime32", s("f"), ub)).toBe(0n);
    expect(fs.statSync(host("f"), { bigint: true }).mtimeNs).toBe(400_000_000_000n);
    const tv = m.mem.alloc(16);
    m.mem.write(tv, Buffer.from(new Int32Array([1, 2, 3, 4]).buffer));
    expect(m.sys("sys_utimes_time32", s("f"), tv)).toBe(0n);
    expect(fs.statSync(host("f"), { bigint: true }).mtimeNs).toBe(3_000_004_000n);
    expect(m.sys("sys_futimesat_time32", AT_FDCWD, s("f"), tv)).toBe(0n);
  });
});

describe("fadvise64, readahead, flock, fallocate, close_range", () => {
  it("advice and locks only check their arguments", () => {
    const fd = open("f", O_RDONLY);
    expect(m.sys("sys_fadvise64", fd, 0, 0, 4)).toBe(0n);
    expect(m.sys("sys_fadvise64", fd, 0, 0, 6)).toBe(BigInt(-E.EINVAL));
    expect(m.sys("sys_fadvise64", 55, 0, 0, 0)).toBe(BigInt(-E.EBADF));
    const pipe = m.mem.alloc(8);
    expect(pipeSyscalls.sys_pipe2!(m.ctx, [pipe, 0n, 0n, 0n, 0n, 0n])).toBe(0);
    const rfd = m.mem.read(pipe, 4).readInt32LE(0);
    expect(m.sys("sys_fadvise64", rfd, 0, 0, 0)).toBe(BigInt(-E.ESPIPE));
    expect(m.sys("sys_readahead", fd, 0, 4096)).toBe(0n);
    expect(m.sys("sys_readahead", rfd, 0, 4096)).toBe(BigInt(-E.EINVAL));
    expect(m.sys("sys_readahead", open("f", O_WRONLY), 0, 4096)).toBe(BigInt(-E.EBADF));
    expect(m.sys("sys_flock", fd, 2 | 4)).toBe(0n);
    expect(m.sys("sys_flock", fd, 8)).toBe(0n);
    expect(m.sys("sys_flock", fd, 3)).toBe(BigInt(-E.EINVAL));
    expect(m.sys("sys_flock", open("f", O_PATH), 1)).toBe(BigInt(-E.EBADF));
  });

  it("i386 fadvise64_64 takes both offset and len in register pairs", () => {
    m = setup("i386");
    const fd = open("f", O_RDONLY);
    expect(m.sys("sys_ia32_fadvise64_64", fd, 0, 0, 0xffffffff, 0xffffffff, 0)).toBe(BigInt(-E.EINVAL)); // len -1
    expect(m.sys("sys_ia32_fadvise64_64", fd, 0, 0, 100, 0, 0)).toBe(0n);
    expect(m.sys("sys_ia32_readahead", fd, 0, 0, 100)).toBe(0n);
  });

  it("fallocate mode 0 extends a short file, never shrinks; other modes are EOPNOTSUPP", () => {
    const fd = open("f", O_RDWR);
    expect(m.sys("sys_fallocate", fd, 0, 100, 900)).toBe(0n);
    expect(fs.statSync(host("f")).size).toBe(1000);
    expect(fs.readFileSync(host("f")).subarray(0, 5).toString()).toBe("hello");
    expect(m.sys("sys_fallocate", fd, 0, 0, 10)).toBe(0n);
    expect(fs.statSync(host("f")).size).toBe(1000);
    expect(m.sys("sys_fallocate", fd, 1, 0, 10)).toBe(BigInt(-E.EOPNOTSUPP));
    expect(m.sys("sys_fallocate", fd, 0, 0, 0)).toBe(BigInt(-E.EINVAL));
    expect(m.sys("sys_fallocate", open("f", O_RDONLY), 0, 0, 10)).toBe(BigInt(-E.EBADF));
    m = setup("i386");
    const fd32 = open("f", O_RDWR);
    expect(m.sys("sys_ia32_fallocate", fd32, 0, 0, 0, 2000, 0)).toBe(0n);
    expect(fs.statSync(host("f")).size).toBe(2000);
  });

  it("close_range closes (or marks close-on-exec) the open fds in [first, last]", () => {
    const a = open("f", O_RDONLY);
    const b = open("f", O_RDONLY);
    const c = open("f", O_RDONLY);
    expect(m.sys("sys_close_range", b, 0xffffffff, 4)).toBe(0n);
    expect(m.task.files.getCloexec(b)).toBe(true);
    expect(m.task.files.getCloexec(a)).toBe(false);
    expect(m.sys("sys_close_range", b, c, 0)).toBe(0n);
    expect(m.task.files.get(b)).toBeUndefined();
    expect(m.task.files.get(c)).toBeUndefined();
    expect(m.task.files.get(a)).toBeDefined();
    expect(m.sys("sys_close_range", 5, 4, 0)).toBe(BigInt(-E.EINVAL));
    expect(m.sys("sys_close_range", 0, 1, 1)).toBe(BigInt(-E.EINVAL));
  });
});
