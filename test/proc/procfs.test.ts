// /proc for guest processes: what busybox's ps, df, ls and cat find there, compared with the same
// busybox run natively wherever the two can agree (formats, the program's own mappings, argv).

import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { ROOT, ensureDist, sysgate } from "../run/cli.js";

const BB = { 64: join(ROOT, ".cache/corpus/amd64/busybox"), 32: join(ROOT, ".cache/corpus/i386/busybox") } as const;
const have = existsSync(BB[64]) && existsSync(BB[32]);
/** Natively without address randomisation, so a static program's mappings are where sysgate puts them. */
const native = (bits: 64 | 32, ...args: string[]) => spawnSync("setarch", ["-R", BB[bits], ...args], { encoding: "utf8" });
const run = (bits: 64 | 32, ...args: string[]) => sysgate(["run", BB[bits], ...args]);

beforeAll(() => ensureDist());

/** show_map_vma's line: start-end perms offset major:minor inode, then the name after column 73. */
const MAPS_LINE = /^[0-9a-f]{8,16}-[0-9a-f]{8,16} [r-][w-][x-][ps] [0-9a-f]{8} [0-9a-f]{2}:[0-9a-f]{2} \d+ (| {1,}\S.*)$/;

describe.skipIf(!have)("/proc/self/maps", () => {
  for (const bits of [64, 32] as const) {
    it(`is in Linux's format, and the program's mappings are the native ones (${bits}-bit)`, () => {
      const n = native(bits, "cat", "/proc/self/maps");
      const s = run(bits, "cat", "/proc/self/maps");
      expect(s.status, s.stderr).toBe(0);
      const lines = s.stdout.trimEnd().split("\n");
      for (const l of lines) expect(l).toMatch(MAPS_LINE);
      for (const name of ["[heap]", "[stack]", "[vdso]", "[vvar]"]) expect(lines.some((l) => l.endsWith(` ${name}`))).toBe(true);
      // The program's mappings, whole lines: headers, text, rodata, RELRO and data with their
      // file offsets (vm_pgoff), device and inode, then the bss as the anonymous area after them.
      const program = (text: string) => {
        const all = text.split("\n");
        const last = all.map((l) => l.includes("/corpus/")).lastIndexOf(true);
        return all.slice(0, last + 2).filter((l, i) => l.includes("/corpus/") || i === last + 1);
      };
      expect(program(s.stdout)).toEqual(program(n.stdout));
      expect(program(s.stdout)).toHaveLength(6);
    });
  }
});

describe.skipIf(!have)("/proc/<pid> of guest processes", () => {
  it("cmdline, comm, exe and environ are the process's own", () => {
    const args = ["sh", "-c", "cat /proc/self/cmdline; echo; cat /proc/$$/comm; readlink /proc/self/exe; tr '\\0' '\\n' < /proc/$$/environ | grep '^ONLY_HERE='"];
    const env = { ...process.env, ONLY_HERE: "yes" };
    const n = spawnSync(BB[64], args, { encoding: "utf8", env });
    const s = sysgate(["run", BB[64], ...args], { env });
    expect(s.stderr).toBe("");
    expect(s.stdout).toBe(n.stdout);
  });

  it("status and stat agree with the shell's own idea of its pid and parent", () => {
    // The shell waits for grep (sleeping); its last command, cut, is exec'd in its place and reads its own stat running.
    const s = run(64, "sh", "-c", "echo $$ $PPID; grep -E '^(Pid|PPid|State|Name):' /proc/$$/status; cut -d' ' -f1-5 /proc/$$/stat");
    expect(s.stderr).toBe("");
    const [ids, ...rest] = s.stdout.trimEnd().split("\n");
    const [pid, ppid] = ids.split(" ");
    expect(rest).toEqual([`Name:\tbusybox`, "State:\tS (sleeping)", `Pid:\t${pid}`, `PPid:\t${ppid}`, `${pid} (cut) R ${ppid} ${pid}`]);
  });

  it("ls /proc lists the guest's processes and no host pid, without an error", () => {
    const s = run(64, "sh", "-c", "sleep 1 & echo $$ $!; ls /proc; wait");
    expect(s.stderr).toBe("");
    const [ids, ...names] = s.stdout.trimEnd().split("\n");
    const pids = names.filter((n) => /^\d+$/.test(n)).map(Number);
    const [sh, sleep] = ids.split(" ").map(Number);
    expect(pids).toContain(sh);
    expect(pids).toContain(sleep);
    expect(pids).toContain(1); // the run's init (README "pid 1")
    expect(pids).toContain(process.pid); // sysgate's parent, this process: the first process's parent
    expect(pids.length).toBeLessThanOrEqual(5); // init, the parent, sh, sleep, and ls (forked) at most
    for (const name of ["self", "thread-self", "meminfo", "mounts", "uptime", "loadavg", "stat"]) expect(names).toContain(name);
  });

  it("busybox ps shows exactly the guest's processes, init and the first one's parent", () => {
    // sleep is exec'd as /proc/self/exe and names itself with PR_SET_NAME: wait until it has
    const s = run(64, "sh", "-c", "sleep 2 & until grep -q sleep /proc/$!/comm; do :; done; ps -o pid,ppid,stat,comm; wait");
    expect(s.stderr).toBe("");
    const rows = s.stdout.trimEnd().split("\n");
    expect(rows[0]).toMatch(/^\s*PID\s+PPID\s+STAT\s+COMMAND/);
    const comms = rows.slice(1).map((r) => r.trim().split(/\s+/)[3]).sort();
    const parent = readFileSync(`/proc/${process.pid}/comm`, "utf8").trim(); // this process started sysgate
    expect(comms).toEqual(["busybox", "init", "ps", "sleep", parent].sort());
    expect(rows.slice(1).map((r) => r.trim().split(/\s+/).slice(0, 2).join(" "))).toContain("1 0");
  });

  it("fd/ and fdinfo/ list the open files", () => {
    const s = run(64, "sh", "-c", "exec 5</etc/hostname; readlink /proc/$$/fd/5; grep -E '^(pos|flags):' /proc/$$/fdinfo/5; ls /proc/$$/fd | tr '\\n' ' '");
    expect(s.stderr).toBe("");
    const [name, pos, flags, fds] = s.stdout.split("\n");
    expect([name, pos]).toEqual(["/etc/hostname", "pos:\t0"]);
    expect(flags).toMatch(/^flags:\t0\d+$/);
    // the shell's own fds and 5; while the pipeline starts the shell may hold the pipe's ends
    // (natively too: who runs first decides), so more may be listed
    expect(fds.trim().split(" ")).toEqual(expect.arrayContaining(["0", "1", "2", "5"]));
  });

  it("cwd, root, statm, mounts and task/ as natively", () => {
    const cmd = "cd /tmp; readlink /proc/$$/cwd; readlink /proc/$$/root; wc -w < /proc/$$/statm; " +
      "cmp /proc/$$/mounts /proc/mounts && echo mounts same; [ \"$(ls /proc/$$/task)\" = $$ ] && echo one thread; " +
      "[ -d /proc/$$/task/$$/fd ] && echo task dir";
    const n = spawnSync(BB[64], ["sh", "-c", cmd], { encoding: "utf8" });
    expect(n.stdout).toBe("/tmp\n/\n7\nmounts same\none thread\ntask dir\n");
    const s = run(64, "sh", "-c", cmd);
    expect(s.stderr).toBe("");
    expect(s.stdout).toBe(n.stdout);
  });

  it("a pid that is no guest's is ENOENT (the host's processes do not show)", () => {
    // this process's parent: a host process that is not sysgate's parent (that one is a stand-in of the model)
    const s = run(64, "cat", `/proc/${process.ppid}/status`);
    expect(s.status).toBe(1);
    expect(s.stderr).toMatch(/No such file or directory/);
  });
});

describe.skipIf(!have)("machine-wide files", () => {
  it("meminfo, uptime, loadavg and mounts are in Linux's formats; df works", () => {
    const s = run(64, "sh", "-c", "head -2 /proc/meminfo; cat /proc/uptime /proc/loadavg; cat /proc/mounts; df /");
    expect(s.stderr).toBe("");
    const lines = s.stdout.trimEnd().split("\n");
    const n = spawnSync("head", ["-2", "/proc/meminfo"], { encoding: "utf8" }).stdout.split("\n");
    // the same columns as the host's: the name in 16, the number right-aligned in 8, " kB"
    for (const i of [0, 1]) {
      expect(lines[i].split(/\s+/)[0]).toBe(n[i].split(/\s+/)[0]);
      expect(lines[i]).toMatch(/^\S+:\s+\d+ kB$/);
      expect(lines[i].length).toBe(n[i].length);
    }
    expect(lines[2]).toMatch(/^\d+\.\d\d \d+\.\d\d$/);
    expect(lines[3]).toMatch(/^\d+\.\d\d \d+\.\d\d \d+\.\d\d \d+\/\d+ \d+$/);
    expect(lines).toContain("overlay / overlay rw,relatime 0 0");
    expect(lines.find((l) => l.startsWith("Filesystem"))).toBeDefined();
    expect(lines[lines.length - 1]).toMatch(/% \/$/);
  });
});
