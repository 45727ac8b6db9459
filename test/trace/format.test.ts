// The trace formatter without running anything: escaping, flags, structs, whole lines, with
// expectations taken from strace 6.1's output for the same values (a gcc -static program making
// these calls natively).

import { describe, expect, it } from "vitest";
import { escapeBytes, quoteBuffer, quoteCString } from "../../kernel-model/trace/escape.js";
import { beginCall, formatCall, formatResult, ipPrefix, traceLine, type TraceMemory } from "../../kernel-model/trace/format.js";
import { parseTraceExpr } from "../../kernel-model/trace/filter.js";
import { formatSigaction, formatSigset, formatStat, formatStat64, formatRlimit64 } from "../../kernel-model/trace/structs.js";
import { SyscallSummary } from "../../kernel-model/trace/summary.js";
import { cloneFlags, ioctlRequest, mmapFlags, openFlags } from "../../kernel-model/trace/xlat.js";
import { cpNewStat, cpNewStat64 } from "../../kernel-model/syscalls/fs/stat.js";
import type { Kstat } from "../../kernel-model/fs/kstat.js";

/** Guest memory: a few buffers at fixed addresses; anything else faults. */
function memory(regions: Record<number, Buffer>): TraceMemory {
  return {
    read(addr, len) {
      for (const [base, b] of Object.entries(regions)) {
        const off = Number(addr) - Number(base);
        // each region is a page: zeros after its bytes, a fault past its end
        if (off >= 0 && off + len <= 4096) return Buffer.concat([b, Buffer.alloc(4096 - b.length)]).subarray(off, off + len);
      }
      throw new Error("EFAULT");
    },
  };
}

/** One call through entry and exit, as the tracer does it. */
function line(name: string, args: bigint[], result: bigint, mem: TraceMemory, abi: "x86_64" | "i386" = "x86_64", strlen?: number) {
  const call = beginCall(0, name, [...args, 0n, 0n, 0n, 0n, 0n, 0n].slice(0, 6), mem, { abi, strlen });
  return traceLine("", formatCall(call, result, mem, { abi, strlen }), formatResult(call, result, abi));
}

describe("escaping", () => {
  it("uses C escapes, the shortest octal unless a digit follows, and cuts with ... after the quote", () => {
    expect(escapeBytes(Buffer.from("\0\x01\x012\x7f\x80\xff\r\v\f ~\0", "latin1"))).toBe("\\0\\1\\0012\\177\\200\\377\\r\\v\\f ~\\0");
    expect(escapeBytes(Buffer.from('/nonexist\t\x01\x1b8"\\', "latin1"))).toBe('/nonexist\\t\\1\\338\\"\\\\');
    expect(quoteBuffer(Buffer.from("abcdefghijklmnopqrstuvwxyz0123456789"), 36)).toBe('"abcdefghijklmnopqrstuvwxyz012345"...');
    expect(quoteBuffer(Buffer.from("abcdefghijklmnopqrstuvwxyz012345"), 32)).toBe('"abcdefghijklmnopqrstuvwxyz012345"');
    expect(quoteBuffer(Buffer.from([0x30, 0x51]), 2, 32, true)).toBe('"\\x30\\x51"');
    expect(quoteCString(Buffer.from("hello"), true, 3)).toBe('"hel"...');
  });
});

describe("flags and values", () => {
  it("decodes in strace's order, with unknown bits in hex", () => {
    expect(openFlags(0o2204700)).toBe("O_RDONLY|O_CREAT|O_EXCL|O_NOCTTY|O_NONBLOCK|O_CLOEXEC|O_DIRECTORY");
    expect(openFlags(0o20200001)).toBe("O_WRONLY|O_TMPFILE");
    expect(mmapFlags(0x22)).toBe("MAP_PRIVATE|MAP_ANONYMOUS");
    expect(mmapFlags(0x41)).toBe("MAP_SHARED|MAP_32BIT");
    expect(cloneFlags(0x01200011)).toBe("CLONE_CHILD_CLEARTID|CLONE_CHILD_SETTID|SIGCHLD");
    expect(ioctlRequest(0x5413)).toBe("TIOCGWINSZ");
    expect(ioctlRequest(0x1234)).toBe("_IOC(_IOC_NONE, 0x12, 0x34, 0)");
  });
});

describe("structs", () => {
  const st: Kstat = {
    devMajor: 8, devMinor: 1, ino: 42n, nlink: 1, mode: 0o100644, uid: 0, gid: 0, rdevMajor: 0, rdevMinor: 0, size: 123n,
    blksize: 4096, blocks: 8n, atime: { sec: 1n, nsec: 0 }, mtime: { sec: 1n, nsec: 0 }, ctime: { sec: 1n, nsec: 0 },
    btime: { sec: 1n, nsec: 0 }, resultMask: 0x7ff,
  } as Kstat;
  it("reads stat in both ABIs and stat64 from the kernel's own encoders", () => {
    expect(formatStat(cpNewStat("x86_64", st), "x86_64")).toBe("{st_mode=S_IFREG|0644, st_size=123, ...}");
    expect(formatStat(cpNewStat("i386", st), "i386")).toBe("{st_mode=S_IFREG|0644, st_size=123, ...}");
    expect(formatStat64(cpNewStat64({ ...st, mode: 0o20666, rdevMajor: 1, rdevMinor: 3 }))).toBe("{st_mode=S_IFCHR|0666, st_rdev=makedev(0x1, 0x3), ...}");
  });
  it("prints rlimits, signal sets and sigaction as strace does", () => {
    const rl = Buffer.alloc(16);
    rl.writeBigUInt64LE(8192n * 1024n, 0);
    rl.writeBigUInt64LE(0xffffffffffffffffn, 8);
    expect(formatRlimit64(rl)).toBe("{rlim_cur=8192*1024, rlim_max=RLIM64_INFINITY}");
    const full = Buffer.alloc(8, 0xff);
    full[3] = 0x7f; // glibc's sigfillset leaves out 32 and 33
    full[4] = 0xfe;
    expect(formatSigset(full)).toBe("~[RTMIN RT_1]");
    const sa = Buffer.alloc(32);
    sa.writeBigUInt64LE(1n, 0);
    sa.writeBigUInt64LE(0x14000000n, 8);
    sa.writeBigUInt64LE(0x408d60n, 16);
    sa.writeBigUInt64LE((1n << 9n) | (1n << 14n), 24);
    expect(formatSigaction(sa, "x86_64")).toBe("{sa_handler=SIG_IGN, sa_mask=[USR1 TERM], sa_flags=SA_RESTORER|SA_RESTART, sa_restorer=0x408d60}");
  });
});

describe("whole lines", () => {
  const mem = memory({ 0x1000: Buffer.from("hello\n\0/etc/passwd\0"), 0x2000: Buffer.alloc(144) });
  it("aligns the result at column 40 and names errors", () => {
    expect(line("write", [1n, 0x1000n, 6n], 6n, mem)).toBe('write(1, "hello\\n", 6)                  = 6');
    expect(line("openat", [BigInt.asUintN(64, -100n), 0x1007n, 0n], -2n, mem))
      .toBe('openat(AT_FDCWD, "/etc/passwd", O_RDONLY) = -1 ENOENT (No such file or directory)');
    expect(line("brk", [0n], 0x4ac000n, mem)).toBe("brk(NULL)                               = 0x4ac000");
    expect(line("exit_group", [0n], 0n, mem)).toBe("exit_group(0)                           = ?");
  });
  it("shows out-structs only when the call succeeded, and raw hex for unknown syscalls", () => {
    expect(line("newfstatat", [1n, 0x1006n, 0x2000n, 0x1000n], -9n, mem)).toBe('newfstatat(1, "", 0x2000, AT_EMPTY_PATH) = -1 EBADF (Bad file descriptor)');
    expect(line("fstat", [1n, 0x2000n], 0n, mem)).toBe("fstat(1, {st_mode=000, st_size=0, ...}) = 0");
    expect(line("fcntl", [1n, 3n], 0x8001n, mem)).toBe("fcntl(1, F_GETFL)                       = 0x8001 (flags O_WRONLY|O_LARGEFILE)");
    const unknown = beginCall(999, undefined, [1n, 2n, 0n, 0n, 0n, 0n], mem, { abi: "x86_64" });
    expect(formatCall(unknown, -38n, mem, { abi: "x86_64" })).toBe("syscall_0x3e7(0x1, 0x2, 0, 0, 0, 0)");
    expect(line("write", [1n, 0x1000n, 6n], 6n, mem, "x86_64", 3)).toBe('write(1, "hel"..., 6)                   = 6');
    expect(ipPrefix(0x401016n, "x86_64")).toBe("[0000000000401016] ");
  });
  it("-e sets: names, classes, negation", () => {
    const f = parseTraceExpr("trace=%file,write", ["openat", "write", "read", "brk"]);
    expect(["openat", "write", "read", "brk"].filter(f)).toEqual(["openat", "write"]);
    expect(["brk", "read"].filter(parseTraceExpr("!%memory", ["brk", "read"]))).toEqual(["read"]);
    expect(() => parseTraceExpr("nosuch", ["read"])).toThrow(/invalid system call/);
  });
  it("-c's table has strace's columns", () => {
    const s = new SyscallSummary();
    s.add("write", 3000n, false);
    s.add("openat", 1000n, true);
    expect(s.format()).toBe(
      "% time     seconds  usecs/call     calls    errors syscall\n" +
      "------ ----------- ----------- --------- --------- ----------------\n" +
      " 75.00    0.000003           3         1           write\n" +
      " 25.00    0.000001           1         1         1 openat\n" +
      "------ ----------- ----------- --------- --------- ----------------\n" +
      "100.00    0.000004           2         2         1 total\n");
  });
});
