// `npm run bench`, the 32-bit entry paths: round trips per second of getppid through each way a
// 32-bit program enters a kernel, under IA32 emulation (the x86-64 kernel, compatibility mode)
// next to the native i386 kernel (--kernel i386). The sample calls __kernel_vsyscall, so the CPU
// vendor picks the fast entry: SYSENTER on Intel, SYSCALL on AMD (--cpu); int $0x80 is the same
// program without a vDSO. The time of a run with N = 1 (load, boot, first translations) is
// subtracted, so the rate is per round trip alone. Numbers only, no assertions.

import { join } from "node:path";
import { Machine, type MachineOptions } from "../../emulator/machine.js";

interface Path { label: string; kernel: string; stub: string; ret: string; opts: MachineOptions }

const PATHS: Path[] = [
  { label: "int $0x80", kernel: "x86_64 (compat)", stub: "entry_INT80_compat", ret: "iretq", opts: { vdso: false } },
  { label: "int $0x80", kernel: "i386", stub: "entry_INT80_32", ret: "iret", opts: { vdso: false, kernel: "i386" } },
  { label: "sysenter (vDSO, --cpu intel)", kernel: "x86_64 (compat)", stub: "entry_SYSENTER_compat", ret: "sysretl", opts: { cpu: "intel" } },
  { label: "sysenter (vDSO)", kernel: "i386", stub: "entry_SYSENTER_32", ret: "sysexit", opts: { kernel: "i386" } },
  { label: "syscall (vDSO, --cpu amd)", kernel: "x86_64 (compat)", stub: "entry_SYSCALL_compat", ret: "sysretl", opts: { cpu: "amd" } },
];

async function timed(root: string, n: number, opts: MachineOptions): Promise<number> {
  const path = join(root, "samples", "bin", "i386", "getppid-loop-sysenter");
  const t0 = process.hrtime.bigint();
  const m = await Machine.create(path, { argv: [path, String(n)], env: [], warnUnimplemented: false, captureOutput: true, ...opts });
  try {
    const st = m.runToEnd();
    if (st.code !== 0) throw new Error(`getppid-loop-sysenter ${n}: ${JSON.stringify(st)}`);
  } finally {
    m.close();
  }
  return Number(process.hrtime.bigint() - t0) / 1e9;
}

/** The table as text: one row per entry path and kernel. */
export async function benchCompat(root: string, n: number, repeat: number): Promise<string> {
  const best = async (f: () => Promise<number>) => {
    let b = Infinity;
    for (let i = 0; i < repeat; i++) b = Math.min(b, await f());
    return b;
  };
  const rows: string[][] = [];
  for (const p of PATHS) {
    await timed(root, 1, p.opts); // warm the JIT and the file cache
    const startup = await best(() => timed(root, 1, p.opts));
    const loop = Math.max(await best(() => timed(root, n, p.opts)) - startup, 1e-9);
    rows.push([p.label, p.kernel, `${p.stub} / ${p.ret}`, Math.round(n / loop).toLocaleString("en-US"), (loop / n * 1e6).toFixed(2)]);
  }
  const head = ["32-bit entry", "kernel", "stub / return", "round trips/s", "us each"];
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (r: string[]) => r.map((c, i) => (i < 3 ? c.padEnd(w[i]) : c.padStart(w[i]))).join("  ");
  return `32-bit getppid round trips (samples/bin/i386/getppid-loop-sysenter, N=${n}), in-process, best of ${repeat}\n\n` +
    [line(head), w.map((x) => "-".repeat(x)).join("  "), ...rows.map(line)].join("\n") + "\n";
}
