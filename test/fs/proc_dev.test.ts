import * as fs from "node:fs";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { E } from "../../kernel-model/errno.js";
import { O_RDONLY, O_RDWR, O_WRONLY } from "../../kernel-model/uapi/asm-generic/fcntl.js";
import { S_IFCHR, S_IFMT } from "../../kernel-model/uapi/linux/stat.js";
import { machine, tmpdir, AT_FDCWD, type TestMachine } from "./helpers.js";

describe("/proc/self/exe and the model's devices (--root mode, program outside the root)", () => {
  let base: string;
  let m: TestMachine;
  const exeBytes = Buffer.from("\x7fELF fake program");
  beforeAll(() => {
    base = tmpdir();
    fs.mkdirSync(path.join(base, "root"));
    fs.writeFileSync(path.join(base, "prog"), exeBytes);
    m = machine("x86_64", {
      mode: "root", root: path.join(base, "root"),
      exe: { hostPath: path.join(base, "prog"), guestPath: "/usr/bin/prog" },
      getRandomBytes: () => {},
    }, 4242);
  });
  afterAll(() => fs.rmSync(base, { recursive: true, force: true }));

  const readlink = (p: string): string | bigint => {
    const buf = m.mem.alloc(256);
    const n = m.sys("sys_readlink", m.mem.str(p), buf, 256);
    return n < 0n ? n : m.mem.read(buf, Number(n)).toString("latin1");
  };
  const readFd = (fd: bigint, n: number): Buffer => {
    const buf = m.mem.alloc(n);
    const got = m.sys("sys_read", fd, buf, n);
    expect(got).toBeGreaterThanOrEqual(0n);
    return m.mem.read(buf, Number(got));
  };

  it("readlink gives the guest path of the program", () => {
    expect(readlink("/proc/self/exe")).toBe("/usr/bin/prog");
    expect(readlink("/proc/4242/exe")).toBe("/usr/bin/prog");
    expect(readlink("/proc/self")).toBe("4242");
  });

  it("opening it opens the program, although its guest path does not exist in the root", () => {
    const fd = m.sys("sys_openat", AT_FDCWD, m.mem.str("/proc/self/exe"), O_RDONLY, 0);
    expect(fd).toBe(3n);
    expect(readFd(fd, 64)).toEqual(exeBytes);
    expect(m.sys("sys_close", fd)).toBe(0n);
    expect(m.sys("sys_open", m.mem.str("/usr/bin/prog"), O_RDONLY, 0)).toBe(BigInt(-E.ENOENT));
  });

  it("refuses to open the running program for writing (ETXTBSY)", () => {
    expect(m.sys("sys_open", m.mem.str("/proc/self/exe"), O_WRONLY, 0)).toBe(BigInt(-E.ETXTBSY));
  });

  it("hides every process that is not the guest's; thread-self is the one thread", () => {
    expect(readlink("/proc/1/exe")).toBe(BigInt(-E.ENOENT));
    expect(readlink("/proc/thread-self")).toBe("4242/task/4242");
    expect(readlink("/proc/self/maps")).toBe(BigInt(-E.EINVAL)); // a file, not a link
  });

  it("/dev/null reads nothing and swallows writes", () => {
    const fd = m.sys("sys_open", m.mem.str("/dev/null"), O_RDWR, 0);
    expect(fd).toBeGreaterThanOrEqual(3n);
    expect(readFd(fd, 16).length).toBe(0);
    expect(m.sys("sys_write", fd, m.mem.str("discard me"), 10)).toBe(10n);
    m.sys("sys_close", fd);
  });

  it("/dev/zero reads zeros", () => {
    const fd = m.sys("sys_open", m.mem.str("/dev/zero"), O_RDONLY, 0);
    const buf = m.mem.alloc(32);
    m.mem.write(buf, Buffer.alloc(32, 0xff));
    expect(m.sys("sys_read", fd, buf, 32)).toBe(32n);
    expect(m.mem.read(buf, 32)).toEqual(Buffer.alloc(32));
    m.sys("sys_close", fd);
  });

  it("/dev/urandom draws from the kernel's entropy source", () => {
    const fd = m.sys("sys_open", m.mem.str("/dev/urandom"), O_RDONLY, 0);
    const expected = Buffer.alloc(8);
    m.task.kernel.getRandomBytes(expected);
    expect(readFd(fd, 8)).toEqual(expected);
    m.sys("sys_close", fd);
  });

  it("stats the devices as character devices 1:3, 1:5, 1:8, 1:9", () => {
    for (const [name, minor] of [["null", 3], ["zero", 5], ["random", 8], ["urandom", 9]] as const) {
      const st = m.vfs.stat({ root: "/", start: "/", pid: 4242 }, `/dev/${name}`, true);
      expect(st.mode & S_IFMT).toBe(S_IFCHR);
      expect([st.rdevMajor, st.rdevMinor]).toEqual([1, minor]);
    }
  });

  it("lists /proc and /proc/<pid> although the root has no /proc", () => {
    const names = (p: string): string[] => {
      const f = m.vfs.open({ root: "/", start: "/", pid: 4242 }, p, O_RDONLY, 0);
      const list = f.iterateDir(0n).map((e) => e.name);
      f.fput();
      return list;
    };
    expect(names("/proc")).toEqual([".", "..", "self", "thread-self", "mounts", "meminfo", "uptime", "loadavg", "stat", "4242"]);
    expect(names("/proc/self")).toEqual([".", "..", "task", "fd", "fdinfo", "environ", "status", "cmdline", "stat", "statm", "maps", "mounts", "comm", "cwd", "root", "exe"]);
    expect(names("/dev")).toEqual([".", "..", "null", "zero", "random", "urandom"]);
  });

  it("cannot create files among the model's nodes", () => {
    expect(m.sys("sys_mkdir", m.mem.str("/proc/self/x"), 0o755)).toBe(BigInt(-E.EACCES));
    expect(m.sys("sys_unlink", m.mem.str("/dev/null"))).toBe(BigInt(-E.EACCES));
  });
});
