// One fuzz worker: runs cases [from, to) of one kind in this process, one Machine each, and reports
// on fd 3 a line before each case ({"i", "start"}) and one after it (the outcome). The parent bounds
// time and memory from outside: a case that never reports back crashed or hung the host process.
//
//   node dist/test/fuzz/child.js elf SEED FROM TO
//   node dist/test/fuzz/child.js syscall SEED FROM TO ABI CALLS

import { mkdtempSync, rmSync, writeFileSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Machine } from "../../emulator/machine.js";
import { ExecFormatError } from "../../emulator/loader/elf.js";
import { elfCase } from "./elf_mutate.js";
import { FUZZ_MEMORY, type CaseReport } from "./outcome.js";
import { repoRoot } from "./paths.js";
import { syscallCase, type FuzzAbi } from "./syscall_prog.js";


const report = (o: object) => writeSync(3, JSON.stringify(o) + "\n");

async function runOne(bytes: Buffer): Promise<Omit<CaseReport, "i">> {
  // each case gets an empty root of its own: a guest's creat/mkdir/unlink land there and go
  const root = mkdtempSync(join(tmpdir(), "sysgate-fuzz-"));
  try {
    const prog = join(root, "prog");
    writeFileSync(prog, bytes, { mode: 0o755 });
    let m: Machine;
    try {
      m = await Machine.create(prog, {
        root, deterministic: true, memoryLimit: FUZZ_MEMORY, stdin: "", argv: ["/prog"], env: ["PATH=/"],
        warn: () => {}, warnUnimplemented: false,
      });
    } catch (e) {
      if (e instanceof ExecFormatError) return { outcome: "clean-error", detail: e.message };
      return { outcome: "host-crash", detail: (e as Error)?.stack ?? String(e) };
    }
    let tried = 0, errors = 0;
    m.hooks.on("syscall_exit", (e) => {
      tried++;
      if (e.result < 0n && e.result > -4096n) errors++;
    });
    try {
      const st = m.runToEnd();
      return st.signal !== undefined
        ? { outcome: "guest-signal", detail: `signal ${st.signal}${st.detail ? ` (${st.detail})` : ""}`, tried, errors }
        : { outcome: "guest-exit", detail: `status ${st.code}`, tried, errors };
    } catch (e) {
      return { outcome: "host-crash", detail: (e as Error)?.stack ?? String(e), tried, errors };
    } finally {
      m.close();
    }
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

async function main(argv: string[]): Promise<void> {
  const [kind, seedS, fromS, toS, abi, callsS] = argv;
  const seed = Number(seedS), from = Number(fromS), to = Number(toS);
  const root = repoRoot();
  for (let i = from; i < to; i++) {
    report({ i, start: true });
    const bytes = kind === "elf" ? elfCase(root, seed, i).bytes : syscallCase(abi as FuzzAbi, seed, i, Number(callsS)).bytes;
    report({ i, ...(await runOne(bytes)) });
  }
}

main(process.argv.slice(2)).then(() => process.exit(0), (e) => {
  process.stderr.write(`fuzz child: ${(e as Error)?.stack ?? e}\n`);
  process.exit(3);
});
