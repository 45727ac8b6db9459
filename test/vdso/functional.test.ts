// Runs the committed vDSO images natively: a small C harness (./harness.c) maps a vvar page
// written by writeVvar() and the image right after it, at a fixed address, and calls the exported
// functions. A seccomp filter that makes every time syscall fail with errno 1234 tells the calls
// the page served (right answer) from the ones that entered the kernel (-1234).

import { beforeAll, describe, expect, it } from "vitest";
import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { vdsoImage, vdsoImagePath, type VdsoAbi } from "../../kernel-model/vdso/vdso_image.js";
import { VVAR_SIZE, VVAR_VDSO_DATA_OFFSET, VDSO_CLOCKMODE_NONE, LOW_RES_NSEC, writeVvar, type VvarTime } from "../../kernel-model/vdso/vvar.js";
import { hasGcc, hasGcc32, whyNot32 } from "./toolchain.js";

const HERE = dirname(fileURLToPath(import.meta.url));
const MARK = -1234; // the seccomp filter's errno, as the raw syscall return the vDSO passes on
const EINVAL = 22;

const REALTIME = 1_700_000_000_123_456_789n;
const MONOTONIC = 12_345_678_901n;
const BASE: VvarTime = {
  realtimeNs: REALTIME, monotonicNs: MONOTONIC, taiOffsetSec: 37,
  tzMinuteswest: -60, tzDsttime: 1, cpu: 3, node: 1, hrtimerRes: 1,
};

type Line = Record<string, string>;

let work = "";
const harness: Partial<Record<VdsoAbi, string>> = {};

function build(abi: VdsoAbi): string {
  const out = join(work, `harness-${abi}`);
  const r = spawnSync("gcc", [abi === "i386" ? "-m32" : "-m64", "-O1", "-Wall", "-Werror", "-o", out, join(HERE, "harness.c")], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`harness build failed:\n${r.stderr}`);
  return out;
}

/** Runs the harness for `abi` on a vvar page written with `t`; the printed lines, parsed. */
function run(abi: VdsoAbi, t: VvarTime, cmds: string[], opts: { patch?: (page: Buffer) => void; timeoutMs?: number } = {}) {
  const page = Buffer.alloc(VVAR_SIZE);
  writeVvar(page, t);
  opts.patch?.(page);
  const vvarFile = join(work, `vvar-${abi}-${Math.random().toString(36).slice(2)}`);
  writeFileSync(vvarFile, page);
  const img = vdsoImage(abi);
  const symArgs = [...img.symbols].map(([n, off]) => `${n}=${off}`);
  const r = spawnSync(harness[abi]!, [vvarFile, vdsoImagePath(abi), ...symArgs, ...cmds], {
    encoding: "utf8", timeout: opts.timeoutMs ?? 10_000,
  });
  const lines: Line[] = r.stdout.split("\n").filter(Boolean).map((l) => {
    const [cmd, ...kv] = l.split(" ");
    const rec: Line = { cmd: cmd! };
    for (const p of kv) {
      const i = p.indexOf("=");
      if (i > 0) rec[p.slice(0, i)] = p.slice(i + 1);
      else rec.arg = p;
    }
    return rec;
  });
  return { status: r.status, signal: r.signal, stderr: r.stderr, lines };
}

function find(lines: Line[], cmd: string, arg?: string): Line {
  const l = lines.find((x) => x.cmd === cmd && (arg === undefined || x.arg === arg));
  if (!l) throw new Error(`no output for ${cmd} ${arg ?? ""}: ${JSON.stringify(lines)}`);
  return l;
}

const secNs = (ns: bigint) => ({ sec: String(ns / 1_000_000_000n), nsec: String(ns % 1_000_000_000n) });

beforeAll(() => {
  if (!hasGcc) return;
  work = mkdtempSync(join(tmpdir(), "sysgate-vdso-"));
  harness.x86_64 = build("x86_64");
  if (hasGcc32) harness.i386 = build("i386");
});

const ABIS = [
  { abi: "x86_64" as const, ok: hasGcc, why: "gcc not found" },
  { abi: "i386" as const, ok: hasGcc32, why: whyNot32() },
];

for (const { abi, ok, why } of ABIS) {
  const title = ok ? `vDSO ${abi} run natively` : `vDSO ${abi} run natively (SKIPPED: ${why})`;
  describe.skipIf(!ok)(title, () => {
    const cg = abi === "i386" ? ["cg64"] : [];

    it("serves REALTIME, MONOTONIC, BOOTTIME, TAI and the coarse clocks from the page, with no kernel entry", () => {
      const clocks = ["0", "1", "5", "6", "7", "11"];
      const r = run(abi, BASE, ["seccomp", ...clocks.map((c) => `cg:${c}`), ...cg.flatMap((c) => clocks.map((k) => `${c}:${k}`))]);
      expect(r.status, r.stderr).toBe(0);
      const want: Record<string, bigint> = {
        "0": REALTIME, "1": MONOTONIC, "5": REALTIME, "6": MONOTONIC, "7": MONOTONIC, "11": REALTIME + 37n * 1_000_000_000n,
      };
      for (const c of ["cg", ...cg]) {
        for (const k of clocks) {
          const l = find(r.lines, c, k);
          expect({ ret: l.ret, sec: l.sec, nsec: l.nsec }, `${c} ${k}`).toEqual({ ret: "0", ...secNs(want[k]!) });
        }
      }
    });

    it("gettimeofday, time, clock_getres (and getcpu) answer from the page, with no kernel entry", () => {
      const cmds = ["seccomp", "gtod", "time", "res:0", "res:1", "res:5", "res:6", "resnull:0", ...(abi === "x86_64" ? ["cpu"] : [])];
      const r = run(abi, BASE, cmds);
      expect(r.status, r.stderr).toBe(0);
      expect(find(r.lines, "gtod")).toMatchObject({ ret: "0", sec: "1700000000", usec: "123456", minuteswest: "-60", dsttime: "1" });
      expect(find(r.lines, "time")).toMatchObject({ ret: "1700000000", t: "1700000000" });
      for (const k of ["0", "1"]) expect(find(r.lines, "res", k)).toMatchObject({ ret: "0", sec: "0", nsec: "1" });
      for (const k of ["5", "6"]) expect(find(r.lines, "res", k)).toMatchObject({ ret: "0", sec: "0", nsec: String(LOW_RES_NSEC) });
      expect(find(r.lines, "resnull", "0")).toMatchObject({ ret: "0" });
      if (abi === "x86_64") expect(find(r.lines, "cpu")).toMatchObject({ ret: "0", cpu: "3", node: "1" });
    });

    it("other clock ids take the real syscall (the kernel answers; under the filter, -1234)", () => {
      const r = run(abi, BASE, ["cg:2", "cg:99", "res:2", "seccomp", "cg:2", "res:3", ...cg.map((c) => `${c}:2`)]);
      expect(r.status, r.stderr).toBe(0);
      const [before, after] = [r.lines.filter((l) => l.cmd === "cg" && l.arg === "2")[0]!, r.lines.filter((l) => l.cmd === "cg" && l.arg === "2")[1]!];
      // CLOCK_PROCESS_CPUTIME_ID from the host kernel: this process's CPU time, well under a minute
      expect(before.ret).toBe("0");
      expect(Number(before.sec)).toBeLessThan(60);
      expect(Number(before.nsec)).toBeGreaterThan(0);
      expect(find(r.lines, "cg", "99").ret).toBe(String(-EINVAL));
      expect(find(r.lines, "res", "2")).toMatchObject({ ret: "0", sec: "0", nsec: "1" });
      expect(after.ret).toBe(String(MARK));
      expect(find(r.lines, "res", "3").ret).toBe(String(MARK));
      for (const c of cg) expect(find(r.lines, c, "2").ret).toBe(String(MARK));
      // The i386 fallback goes through __kernel_vsyscall, each of the 6 calls above to SYSENTER.
      // Intel CPUs run it in a compat process (the host kernel returns to its own vDSO's
      // identical landing pad); AMD CPUs fault, and the harness steps over it into the
      // int $0x80 path, as sysgate does when no kernel model hooks SYSENTER.
      const skipped = Number(find(r.lines, "sysenter_skipped").count);
      expect(abi === "i386" ? [0, 6] : [0]).toContain(skipped);
    });

    it("clock_mode NONE sends the hres clocks, gettimeofday and time to the syscall; the coarse clocks stay served", () => {
      const r = run(abi, { ...BASE, clockMode: VDSO_CLOCKMODE_NONE }, ["seccomp", "cg:0", "cg:1", "gtod", "time", "cg:5"]);
      expect(r.status, r.stderr).toBe(0);
      expect(find(r.lines, "cg", "0").ret).toBe(String(MARK));
      expect(find(r.lines, "cg", "1").ret).toBe(String(MARK));
      expect(find(r.lines, "gtod").ret).toBe(String(MARK));
      expect(find(r.lines, "time").ret).toBe(String(MARK));
      expect(find(r.lines, "cg", "5")).toMatchObject({ ret: "0", ...secNs(REALTIME) });
    });

    it("extrapolates from the TSC: ns = (nsec << shift + (rdtsc - cycle_last) * mult) >> shift", () => {
      const mult = 5, shift = 2, tsc = 1n;
      const r = run(abi, { ...BASE, mult, shift, tsc }, ["seccomp", "cg:1", "cg:5"]);
      expect(r.status, r.stderr).toBe(0);
      const l = find(r.lines, "cg", "1");
      expect(l.ret).toBe("0");
      const got = BigInt(l.sec!) * 1_000_000_000n + BigInt(l.nsec!);
      const at = (c: bigint) => (MONOTONIC / 1_000_000_000n) * 1_000_000_000n +
        ((((MONOTONIC % 1_000_000_000n) << BigInt(shift)) + (c - tsc) * BigInt(mult)) >> BigInt(shift));
      expect(got).toBeGreaterThanOrEqual(at(BigInt(l.tsc0!)));
      expect(got).toBeLessThanOrEqual(at(BigInt(l.tsc1!)));
      expect(got).toBeGreaterThan(MONOTONIC);
      // the coarse clock does not extrapolate
      expect(find(r.lines, "cg", "5")).toMatchObject({ ret: "0", ...secNs(REALTIME) });
    });

    it("waits while the seqcount is odd (an update in progress)", () => {
      const r = run(abi, BASE, ["cg:0"], {
        patch: (p) => p.writeUInt32LE(p.readUInt32LE(VVAR_VDSO_DATA_OFFSET) + 1, VVAR_VDSO_DATA_OFFSET),
        timeoutMs: 400,
      });
      expect(r.signal).toBe("SIGTERM");
      expect(r.lines.some((l) => l.cmd === "cg")).toBe(false);
    });

    if (abi === "i386") {
      it("__kernel_vsyscall makes a system call and keeps ecx, edx, ebp", () => {
        const r = run(abi, BASE, ["vsys_getpid"]);
        expect(r.status, r.stderr).toBe(0);
        const l = find(r.lines, "vsys_getpid");
        expect(l.ret).toBe(l.pid);
        expect(l.regs_kept).toBe("1");
      });

      it("__kernel_sigreturn and __kernel_rt_sigreturn return from a handler into the interrupted code", () => {
        const r = run(abi, BASE, ["sig", "rtsig"]);
        expect(r.status, r.stderr).toBe(0);
        for (const n of ["__kernel_sigreturn", "__kernel_rt_sigreturn"]) {
          expect(find(r.lines, n)).toMatchObject({ count: "1", ret_is_trampoline: "1", canary_ok: "1" });
        }
      });
    }
  });
}
