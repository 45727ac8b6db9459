// execve's argument limits (E2BIG at a quarter of the stack limit and at MAX_ARG_STRLEN per string,
// with the host's memory bounded by the limit, not by what the guest asks for) and copy_process's
// process limits (RLIMIT_NPROC, then the run's --max-procs): raw programs through the command line,
// execve compared with the same program run natively.

import { spawnSync } from "node:child_process";
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BASE, DATA_OFF, elfImage, type FuzzAbi } from "../fuzz/syscall_prog.js";
import { ROOT, ensureDist, sysgate } from "../run/cli.js";

const u64 = (v: bigint) => { const b = Buffer.alloc(8); b.writeBigUInt64LE(v); return b; };
const u32 = (v: bigint) => { const b = Buffer.alloc(4); b.writeUInt32LE(Number(v)); return b; };

/** execve("./target", [ptr to S] * count, NULL) with S = `len` x 'A', then exit(-result). */
function execProbe(abi: FuzzAbi, count: number, len: number): Buffer {
  const data = BASE[abi] + BigInt(DATA_OFF);
  const w = abi === "x86_64" ? 8 : 4;
  const path = Buffer.from("./target\0");
  const strAt = 16;
  const arrOff = (strAt + len + 1 + 15) & ~15;
  const words = Array.from({ length: count }, () => data + BigInt(strAt)).concat([0n]);
  const dataBuf = Buffer.concat([path, Buffer.alloc(strAt - path.length), Buffer.alloc(len, "A"), Buffer.alloc(arrOff - strAt - len),
    ...words.map((x) => (w === 8 ? u64(x) : u32(x)))]);
  const code = abi === "x86_64"
    ? Buffer.concat([Buffer.from([0x48, 0xb8]), u64(59n), Buffer.from([0x48, 0xbf]), u64(data), Buffer.from([0x48, 0xbe]), u64(data + BigInt(arrOff)),
      Buffer.from([0x31, 0xd2, 0x0f, 0x05, 0x48, 0x89, 0xc7, 0x48, 0xf7, 0xdf, 0xb8, 60, 0, 0, 0, 0x0f, 0x05])])
    : Buffer.concat([Buffer.from([0xb8]), u32(11n), Buffer.from([0xbb]), u32(data), Buffer.from([0xb9]), u32(data + BigInt(arrOff)),
      Buffer.from([0x31, 0xd2, 0xcd, 0x80, 0x89, 0xc3, 0xf7, 0xdb, 0xb8, 1, 0, 0, 0, 0xcd, 0x80])]);
  return elfImage(abi, code, dataBuf);
}

/**
 * fork() up to 1500 times; children pause. When a fork fails the parent exits with the number of
 * forks that succeeded (its errno would be EAGAIN); after 1500 it exits 0.
 */
function forkLoop(): Buffer {
  const code = Buffer.from([
    0xbb, 0xdc, 0x05, 0x00, 0x00, //  0: mov ebx, 1500
    0xb8, 0x39, 0x00, 0x00, 0x00, //  5: loop: mov eax, 57 (fork)
    0x0f, 0x05, //                   10: syscall
    0x48, 0x85, 0xc0, //             12: test rax, rax
    0x74, 0x0f, //                   15: jz child (32)
    0x78, 0x16, //                   17: js fail (41)
    0xff, 0xcb, //                   19: dec ebx
    0x75, 0xee, //                   21: jnz loop (5)
    0x31, 0xff, //                   23: xor edi, edi
    0xb8, 0x3c, 0x00, 0x00, 0x00, // 25: mov eax, 60 (exit)
    0x0f, 0x05, //                   30: syscall
    0xb8, 0x22, 0x00, 0x00, 0x00, // 32: child: mov eax, 34 (pause)
    0x0f, 0x05, //                   37: syscall
    0xeb, 0xf7, //                   39: jmp child
    0xbf, 0xdc, 0x05, 0x00, 0x00, // 41: fail: mov edi, 1500
    0x29, 0xdf, //                   46: sub edi, ebx
    0xb8, 0x3c, 0x00, 0x00, 0x00, // 48: mov eax, 60
    0x0f, 0x05, //                   53: syscall
  ]);
  return elfImage("x86_64", code, Buffer.alloc(0));
}

let dir: string;
beforeAll(() => {
  ensureDist();
  dir = mkdtempSync(join(tmpdir(), "sysgate-limits-"));
}, 120_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("execve argument limits (E2BIG), against native runs", () => {
  const cases: [string, number, number][] = [
    ["20,000 arguments of 128 KiB (each over MAX_ARG_STRLEN)", 20_000, 128 * 1024],
    ["20,000 arguments of 100 KB (2 GB in all)", 20_000, 100_000],
    ["20 arguments of 100 KB (under a quarter of an 8 MiB stack)", 20, 100_000],
    ["21 arguments of 100 KB (over it)", 21, 100_000],
  ];
  for (const abi of ["x86_64", "i386"] as FuzzAbi[]) {
    for (const [what, count, len] of cases) {
      it(`${abi}: ${what}`, () => {
        const d = join(dir, `${abi}-${count}-${len}`);
        spawnSync("mkdir", ["-p", d]);
        copyFileSync(join(ROOT, "samples", "bin", abi === "x86_64" ? "x86_64/exit-code" : "i386/hello-int80"), join(d, "target"));
        writeFileSync(join(d, "probe"), execProbe(abi, count, len), { mode: 0o755 });
        // natively, with the 8 MiB stack limit the guest is given
        const native = spawnSync("bash", ["-c", "ulimit -s 8192 && exec ./probe"], { cwd: d, stdio: "ignore" });
        const r = sysgate(["run", "--deterministic", "--root", d, "/probe"], { timeout: 60_000 });
        expect(r.signal).toBeNull();
        expect(r.status, r.stderr).toBe(native.status);
        expect([0, 7]).toContain(native.status); // success or E2BIG: the case tests what it says
        // the person running sysgate is told which limit the program hit, in one line
        if (native.status === 7) expect(r.stderr).toMatch(/^sysgate: execve: argument and environment size limit: .*E2BIG.*\n$/);
      });
    }
  }
});

describe("process limits (EAGAIN from fork)", () => {
  it("a fork loop stops at RLIMIT_NPROC, half of --max-procs, and sysgate says which limit once", () => {
    writeFileSync(join(dir, "forkloop"), forkLoop(), { mode: 0o755 });
    const r = sysgate(["run", "--deterministic", "--memory", "16M", "--max-procs", "40", join(dir, "forkloop")], { timeout: 120_000 });
    expect(r.status).toBe(19); // uid 1000: 20 processes (the parent and 19 children), then EAGAIN
    const lines = r.stderr.split("\n").filter(Boolean);
    expect(lines, r.stderr).toHaveLength(1);
    expect(lines[0]).toMatch(/RLIMIT_NPROC reached \(20 processes/);
  });

  it("a fork loop of 1,500 stops at the default limit (RLIMIT_NPROC 128)", () => {
    writeFileSync(join(dir, "forkloop"), forkLoop(), { mode: 0o755 });
    const r = sysgate(["run", "--deterministic", "--memory", "16M", join(dir, "forkloop")], { timeout: 300_000 });
    expect(r.status).toBe(127);
    expect(r.stderr).toMatch(/RLIMIT_NPROC/);
  });

  it.runIf(process.getuid?.() === 0)("root is exempt from RLIMIT_NPROC but not from --max-procs", () => {
    writeFileSync(join(dir, "forkloop"), forkLoop(), { mode: 0o755 });
    const r = sysgate(["run", "--memory", "16M", "--max-procs", "30", join(dir, "forkloop")], { timeout: 120_000 });
    expect(r.status).toBe(29);
    expect(r.stderr).toMatch(/process bound reached \(--max-procs 30\)/);
  });
});
