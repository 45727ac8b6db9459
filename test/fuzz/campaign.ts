// The fuzz campaign: cases are cut into batches, each batch runs in a child process (child.ts)
// bounded in time per case and in resident memory, at most `jobs` children at once. A child that
// dies or stops reporting marks the case it was running as a host crash or a hang, the case is saved
// as a reproducer, and a new child goes on with the rest of the batch.

import { spawn } from "node:child_process";
import { appendFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { setPriority } from "node:os";
import { join } from "node:path";
import { elfCase } from "./elf_mutate.js";
import { FUZZ_MEMORY, OUTCOMES, type CaseReport, type Outcome } from "./outcome.js";
import { repoRoot } from "./paths.js";
import { syscallCase, type FuzzAbi } from "./syscall_prog.js";

export interface CampaignOptions {
  seed: number;
  /** Malformed ELF files to try. */
  elfs: number;
  /** Programs of raw syscalls per ABI, `calls` each. */
  programs: number;
  calls: number;
  /** Children at once. */
  jobs: number;
  /** Cases per child. */
  batch: number;
  /** A case that takes longer is a hang. */
  caseTimeoutMs: number;
  /** A child whose resident memory grows past this is killed and its case counted as a hang. */
  maxRssMb: number;
  /** Where reproducers go (default .cache/fuzz). */
  outDir?: string;
  log?: (line: string) => void;
}

export type Tally = Record<Outcome, number>;

export interface CampaignResult {
  elf: Tally;
  /** Per ABI: programs by outcome, and the syscalls they made. */
  syscalls: Record<FuzzAbi, { programs: Tally; tried: number; errno: number }>;
  /** Host crashes and hangs: what, and the command that reproduces each. */
  findings: { kind: string; i: number; outcome: Outcome; detail: string; file: string; command: string }[];
}

const tally = (): Tally => Object.fromEntries(OUTCOMES.map((o) => [o, 0])) as Tally;

interface Unit { kind: "elf" | "syscall"; abi?: FuzzAbi; from: number; to: number }

function childArgs(o: CampaignOptions, u: Unit, from: number): string[] {
  return u.kind === "elf"
    ? ["elf", String(o.seed), String(from), String(u.to)]
    : ["syscall", String(o.seed), String(from), String(u.to), u.abi!, String(o.calls)];
}

/** Resident memory of a process in MiB (VmRSS), or 0 once it is gone. */
function rssMb(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return m ? Number(m[1]) / 1024 : 0;
  } catch {
    return 0;
  }
}

/** Runs cases [from, u.to) in one child; resolves with the reports and where it stopped early, if it did. */
function runChild(child: string, o: CampaignOptions, u: Unit, from: number): Promise<{ reports: CaseReport[]; stopped?: CaseReport }> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [child, ...childArgs(o, u, from)], { stdio: ["ignore", "ignore", "pipe", "pipe"] });
    try { setPriority(p.pid!, 10); } catch { /* not allowed: run at the inherited priority */ }
    const reports: CaseReport[] = [];
    let current: number | undefined;
    let stderr = "";
    let buf = "";
    let killedFor: string | undefined;
    let timer: NodeJS.Timeout | undefined;
    const arm = () => {
      clearTimeout(timer);
      timer = setTimeout(() => { killedFor = `no answer in ${o.caseTimeoutMs} ms`; p.kill("SIGKILL"); }, o.caseTimeoutMs);
    };
    arm();
    const poll = setInterval(() => {
      const mb = rssMb(p.pid!);
      if (mb > o.maxRssMb) { killedFor = `resident memory ${mb.toFixed(0)} MiB > ${o.maxRssMb} MiB`; p.kill("SIGKILL"); }
    }, 200);
    p.stderr!.on("data", (d: Buffer) => { stderr = (stderr + d.toString()).slice(-8000); });
    p.stdio[3]!.on("data", (d: Buffer) => {
      buf += d.toString();
      let nl: number;
      while ((nl = buf.indexOf("\n")) >= 0) {
        const msg = JSON.parse(buf.slice(0, nl)) as CaseReport & { start?: boolean };
        buf = buf.slice(nl + 1);
        if (msg.start) { current = msg.i; arm(); }
        else { reports.push(msg); current = undefined; }
      }
    });
    p.on("close", (code, signal) => {
      clearTimeout(timer);
      clearInterval(poll);
      if (current === undefined && code === 0) return resolve({ reports });
      const i = current ?? (reports.length ? reports[reports.length - 1].i + 1 : from);
      const outcome: Outcome = killedFor ? "hang" : "host-crash";
      const detail = killedFor ?? `child ended with ${signal ?? `status ${code}`}: ${stderr.trim().split("\n").slice(-12).join("\n")}`;
      resolve({ reports, stopped: { i, outcome, detail } });
    });
  });
}

export async function runCampaign(o: CampaignOptions): Promise<CampaignResult> {
  const root = repoRoot();
  const child = join(root, "dist", "test", "fuzz", "child.js");
  if (!existsSync(child)) throw new Error(`${child} is missing: npm run build first`);
  const outDir = o.outDir ?? join(root, ".cache", "fuzz");
  const log = o.log ?? (() => {});
  const units: Unit[] = [];
  for (let i = 0; i < o.elfs; i += o.batch) units.push({ kind: "elf", from: i, to: Math.min(o.elfs, i + o.batch) });
  for (const abi of ["x86_64", "i386"] as const) {
    for (let i = 0; i < o.programs; i += o.batch) units.push({ kind: "syscall", abi, from: i, to: Math.min(o.programs, i + o.batch) });
  }
  const result: CampaignResult = {
    elf: tally(),
    syscalls: { x86_64: { programs: tally(), tried: 0, errno: 0 }, i386: { programs: tally(), tried: 0, errno: 0 } },
    findings: [],
  };

  const record = (u: Unit, r: CaseReport) => {
    if (u.kind === "elf") result.elf[r.outcome]++;
    else {
      const s = result.syscalls[u.abi!];
      s.programs[r.outcome]++;
      s.tried += r.tried ?? 0;
      s.errno += r.errors ?? 0;
    }
    if (r.outcome === "host-crash" || r.outcome === "hang") saveFinding(u, r);
  };
  const saveFinding = (u: Unit, r: CaseReport) => {
    mkdirSync(outDir, { recursive: true });
    const name = u.kind === "elf" ? `elf-seed${o.seed}-${r.i}-${elfCase(root, o.seed, r.i).sample.replace("/", "_")}`
      : `syscall-${u.abi}-seed${o.seed}-${r.i}`;
    const bytes = u.kind === "elf" ? elfCase(root, o.seed, r.i).bytes : syscallCase(u.abi!, o.seed, r.i, o.calls).bytes;
    const file = join(outDir, name);
    writeFileSync(file, bytes, { mode: 0o755 });
    const args = childArgs(o, { ...u, to: r.i + 1 }, r.i).join(" ");
    const command = `node dist/test/fuzz/child.js ${args} 3>&1   # or: d=$(mktemp -d) && cp ${file} $d/prog && ` +
      `node dist/emulator/cli/main.js run --deterministic --memory ${FUZZ_MEMORY >> 20}M --root $d /prog`;
    const detail = (r.detail ?? "").slice(0, 2000);
    result.findings.push({ kind: u.kind === "elf" ? "elf" : `syscall ${u.abi}`, i: r.i, outcome: r.outcome, detail, file, command });
    appendFileSync(join(outDir, "findings.txt"), `${r.outcome} ${name}\n  ${command}\n  ${detail.split("\n").join("\n  ")}\n\n`);
    log(`${r.outcome}: ${name}: ${detail.split("\n")[0]}`);
  };

  let next = 0, done = 0;
  const worker = async () => {
    while (next < units.length) {
      const u = units[next++];
      let from = u.from;
      while (from < u.to) {
        const { reports, stopped } = await runChild(child, o, u, from);
        for (const r of reports) record(u, r);
        if (!stopped) break;
        record(u, stopped);
        from = stopped.i + 1;
      }
      if (++done % 10 === 0) log(`${done}/${units.length} batches`);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, o.jobs) }, worker));
  return result;
}

/** The counts as the report shows them. */
export function formatResult(r: CampaignResult, o: CampaignOptions): string {
  const row = (t: Tally) => OUTCOMES.map((x) => `${x} ${t[x]}`).join(" / ");
  const sum = (t: Tally) => OUTCOMES.reduce((n, x) => n + t[x], 0);
  const lines = [
    `seed ${o.seed}`,
    `ELF files: tried ${sum(r.elf)}: ${row(r.elf)}`,
  ];
  for (const abi of ["x86_64", "i386"] as const) {
    const s = r.syscalls[abi];
    lines.push(`${abi} syscalls: tried ${s.tried} (${s.errno} returned -errno) in ${sum(s.programs)} programs of ${o.calls}: ${row(s.programs)}`);
  }
  for (const f of r.findings) lines.push(`${f.outcome} ${f.kind} #${f.i}: ${f.detail.split("\n")[0]}\n  ${f.command}`);
  return lines.join("\n") + "\n";
}
