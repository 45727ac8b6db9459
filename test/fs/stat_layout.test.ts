import * as fs from "node:fs";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { E } from "../../kernel-model/errno.js";
import { O_DIRECTORY, O_RDONLY } from "../../kernel-model/uapi/asm-generic/fcntl.js";
import { AT_EMPTY_PATH, AT_SYMLINK_NOFOLLOW } from "../../kernel-model/uapi/linux/fcntl.js";
import { splitHostDev } from "../../kernel-model/fs/kstat.js";
import { newEncodeDev } from "../../kernel-model/syscalls/fs/stat.js";
import { machine, tmpdir, AT_FDCWD } from "./helpers.js";

let base: string;
let file: string;
let host: fs.BigIntStats;
beforeAll(() => {
  base = tmpdir();
  file = path.join(base, "data");
  fs.writeFileSync(file, Buffer.alloc(5000, 1));
  fs.utimesSync(file, 1_600_000_000.25, 1_650_000_000.5);
  fs.symlinkSync("data", path.join(base, "link"));
  host = fs.statSync(file, { bigint: true });
});
afterAll(() => fs.rmSync(base, { recursive: true, force: true }));

const hostDev = (): bigint => {
  const d = splitHostDev(host.dev);
  return BigInt(newEncodeDev(d.major, d.minor));
};
const opts = () => ({ mode: "host" as const, cwd: base, exe: { hostPath: file, guestPath: file }, getRandomBytes: () => {} });

describe("struct stat (x86_64, 144 bytes)", () => {
  it("newfstatat lays the host's values out at the uapi offsets", () => {
    const m = machine("x86_64", opts());
    const buf = m.mem.alloc(160);
    m.mem.write(buf, Buffer.alloc(160, 0xee));
    expect(m.sys("sys_newfstatat", AT_FDCWD, m.mem.str("data"), buf, 0)).toBe(0n);
    const b = m.mem.read(buf, 160);
    expect(b.readBigUInt64LE(0)).toBe(hostDev());
    expect(b.readBigUInt64LE(8)).toBe(host.ino);
    expect(b.readBigUInt64LE(16)).toBe(host.nlink);
    expect(b.readUInt32LE(24)).toBe(Number(host.mode));
    expect(b.readUInt32LE(28)).toBe(Number(host.uid));
    expect(b.readUInt32LE(32)).toBe(Number(host.gid));
    expect(b.readBigInt64LE(48)).toBe(5000n);
    expect(b.readBigInt64LE(56)).toBe(host.blksize);
    expect(b.readBigInt64LE(64)).toBe(host.blocks);
    expect(b.readBigInt64LE(72)).toBe(host.atimeNs / 1_000_000_000n);
    expect(b.readBigUInt64LE(80)).toBe(host.atimeNs % 1_000_000_000n);
    expect(b.readBigInt64LE(88)).toBe(1_650_000_000n);
    expect(b.readBigUInt64LE(96)).toBe(500_000_000n);
    expect(b.readBigInt64LE(104)).toBe(host.ctimeNs / 1_000_000_000n);
    expect(b.subarray(120, 144)).toEqual(Buffer.alloc(24)); // __unused[3]
    expect(b.subarray(144, 160)).toEqual(Buffer.alloc(16, 0xee)); // nothing past the struct
  });

  it("honours AT_SYMLINK_NOFOLLOW and AT_EMPTY_PATH", () => {
    const m = machine("x86_64", opts());
    const buf = m.mem.alloc(144);
    expect(m.sys("sys_newfstatat", AT_FDCWD, m.mem.str("link"), buf, AT_SYMLINK_NOFOLLOW)).toBe(0n);
    expect(m.mem.read(buf, 144).readUInt32LE(24) & 0o170000).toBe(0o120000);
    const fd = m.sys("sys_open", m.mem.str("data"), O_RDONLY, 0);
    expect(m.sys("sys_newfstatat", fd, m.mem.str(""), buf, AT_EMPTY_PATH)).toBe(0n);
    expect(m.mem.read(buf, 144).readBigUInt64LE(8)).toBe(host.ino);
    expect(m.sys("sys_newfstatat", fd, m.mem.str(""), buf, 0)).toBe(BigInt(-E.ENOENT));
    expect(m.sys("sys_newfstatat", AT_FDCWD, m.mem.str("data"), buf, 0x8000)).toBe(BigInt(-E.EINVAL));
    expect(m.sys("sys_newfstat", fd, buf)).toBe(0n);
    expect(m.mem.read(buf, 144).readBigInt64LE(48)).toBe(5000n);
    expect(m.sys("sys_newfstat", 99, buf)).toBe(BigInt(-E.EBADF));
    expect(m.sys("sys_newstat", m.mem.str("data"), 0x10n)).toBe(BigInt(-E.EFAULT));
  });

  it("a relative path with a non-directory dirfd is ENOTDIR", () => {
    const m = machine("x86_64", opts());
    const fd = m.sys("sys_open", m.mem.str("data"), O_RDONLY, 0);
    expect(m.sys("sys_newfstatat", fd, m.mem.str("data"), m.mem.alloc(144), 0)).toBe(BigInt(-E.ENOTDIR));
    const dfd = m.sys("sys_open", m.mem.str(base), O_RDONLY | O_DIRECTORY, 0);
    expect(m.sys("sys_newfstatat", dfd, m.mem.str("data"), m.mem.alloc(144), 0)).toBe(0n);
  });
});

describe("i386 layouts", () => {
  it("fstatat64 writes the packed 96-byte struct stat64", () => {
    const m = machine("i386", opts());
    const buf = m.mem.alloc(100);
    m.mem.write(buf, Buffer.alloc(100, 0xee));
    expect(m.sys("sys_fstatat64", AT_FDCWD, m.mem.str("data"), buf, 0)).toBe(0n);
    const b = m.mem.read(buf, 100);
    expect(b.readBigUInt64LE(0)).toBe(hostDev());
    expect(b.readUInt32LE(12)).toBe(Number(host.ino & 0xffffffffn)); // __st_ino
    expect(b.readUInt32LE(16)).toBe(Number(host.mode));
    expect(b.readUInt32LE(20)).toBe(Number(host.nlink));
    expect(b.readUInt32LE(24)).toBe(Number(host.uid));
    expect(b.readBigInt64LE(44)).toBe(5000n);
    expect(b.readUInt32LE(52)).toBe(Number(host.blksize));
    expect(b.readBigUInt64LE(56)).toBe(host.blocks);
    expect(b.readUInt32LE(72)).toBe(1_650_000_000);
    expect(b.readUInt32LE(76)).toBe(500_000_000);
    expect(b.readBigUInt64LE(88)).toBe(host.ino);
    expect(b.subarray(96)).toEqual(Buffer.alloc(4, 0xee));
    expect(m.sys("sys_stat64", m.mem.str("data"), buf)).toBe(0n);
    expect(m.sys("sys_lstat64", m.mem.str("link"), buf)).toBe(0n);
    expect(m.mem.read(buf, 96).readUInt32LE(16) & 0o170000).toBe(0o120000);
  });

  it("sys_newstat on i386 writes the 64-byte struct stat (or EOVERFLOW when values do not fit)", () => {
    const m = machine("i386", opts());
    const buf = m.mem.alloc(64);
    const r = m.sys("sys_newstat", m.mem.str("data"), buf);
    const d = splitHostDev(host.dev);
    if (host.ino > 0xffffffffn || d.major > 255 || d.minor > 255) {
      expect(r).toBe(BigInt(-E.EOVERFLOW));
      return;
    }
    expect(r).toBe(0n);
    const b = m.mem.read(buf, 64);
    expect(b.readUInt32LE(0)).toBe((d.major << 8) | d.minor);
    expect(b.readUInt32LE(4)).toBe(Number(host.ino));
    expect(b.readUInt16LE(8)).toBe(Number(host.mode));
    expect(b.readUInt32LE(20)).toBe(5000);
    expect(b.readUInt32LE(40)).toBe(1_650_000_000);
  });

  it("statx writes the 256-byte struct statx", () => {
    for (const abi of ["i386", "x86_64"] as const) {
      const m = machine(abi, opts());
      const buf = m.mem.alloc(256);
      expect(m.sys("sys_statx", AT_FDCWD, m.mem.str("data"), 0, 0xfff, buf)).toBe(0n);
      const b = m.mem.read(buf, 256);
      const d = splitHostDev(host.dev);
      expect(b.readUInt32LE(0) & 0x7ff).toBe(0x7ff);
      expect(b.readUInt32LE(4)).toBe(Number(host.blksize));
      expect(b.readUInt32LE(16)).toBe(Number(host.nlink));
      expect(b.readUInt16LE(28)).toBe(Number(host.mode));
      expect(b.readBigUInt64LE(32)).toBe(host.ino);
      expect(b.readBigUInt64LE(40)).toBe(5000n);
      expect(b.readBigUInt64LE(48)).toBe(host.blocks);
      expect(b.readBigInt64LE(64)).toBe(1_600_000_000n); // atime
      expect(b.readUInt32LE(72)).toBe(250_000_000);
      expect(b.readBigInt64LE(112)).toBe(1_650_000_000n); // mtime
      expect(b.readUInt32LE(120)).toBe(500_000_000);
      expect([b.readUInt32LE(136), b.readUInt32LE(140)]).toEqual([d.major, d.minor]);
      expect(m.sys("sys_statx", AT_FDCWD, m.mem.str("data"), 0x6000, 0x7ff, buf)).toBe(BigInt(-E.EINVAL));
    }
  });
});
