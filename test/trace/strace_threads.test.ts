// sysgate trace against strace -f on a threaded program (the threads corpus's pthreads.c, both
// ABIs): every thread's calls, in its own order, as strace prints them, `[pid TID]` prefixes
// and `<unfinished ...>` / `<... resumed>` pairs included. Which thread runs when is the
// scheduler's business, so each thread's lines are compared as a sequence and the threads as a
// set; thread ids are one name, and so are the lengths malloc gives back to align an arena
// (they follow from the addresses mmap chose, and so does whether one munmap or two trims the arena); futex calls, which a thread makes only when it met another on
// a lock, are left out. A main thread that ends before the others gets its `+++` line when the
// last one ends (main-exit.c).

import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { CLI, ensureDist } from "../run/cli.js";
import { buildC } from "../threads/corpus.js";
import { nativeLine, oursLine, perProcess } from "./strace_lines.js";

ensureDist();
const HAVE_STRACE = spawnSync("strace", ["-V"]).status === 0;
const dir = mkdtempSync(join(tmpdir(), "sysgate-strace-threads-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Each thread's lines with thread ids as TID and no futex calls; the threads sorted. */
function threads(text: string, pidOf: (l: string) => [number, string] | undefined): string[] {
  return perProcess(text, pidOf)
    .map((lines) => lines.filter((l) => !l.startsWith("futex(")).map((l) => l.replace(/\bPID\d+\b/g, "TID").replace(/^munmap\(0xA, \d+\)/, "munmap(0xA, LEN)"))
      // malloc's new_heap trims its doubled mapping on one side or both, as the address fell
      .filter((l, i, all) => !(l.startsWith("munmap(0xA, LEN)") && all[i - 1] === l)).join("\n"))
    .sort();
}

describe.skipIf(!HAVE_STRACE)("sysgate trace agrees with strace -f on threads", () => {
  for (const abi of ["x86_64", "i386"] as const) {
    it(`pthreads.c (${abi}): the same calls per thread, clone3 decoded, a [pid N] prefix per thread`, (ctx) => {
      const b = buildC("pthreads.c", abi, ["-pthread"]);
      if ("skip" in b) return ctx.skip(b.skip);
      const nOut = join(dir, `n-${abi}.txt`), sOut = join(dir, `s-${abi}.txt`);
      const env = { LANG: "C" };
      expect(spawnSync("strace", ["-f", "-o", nOut, b.path], { env, stdio: ["ignore", "ignore", "ignore"] }).status).toBe(0);
      expect(spawnSync(process.execPath, [CLI, "trace", "-o", sOut, b.path], { env, stdio: ["ignore", "ignore", "ignore"] }).status).toBe(0);
      const text = readFileSync(sOut, "latin1");
      const first = Number(/set_tid_address\(0x[0-9a-f]+\) += (\d+)/.exec(text)?.[1] ?? 0);
      const ours = threads(text, oursLine(first));
      const native = threads(readFileSync(nOut, "latin1"), nativeLine);
      expect(ours.length).toBe(6); // main, the sleeper, four workers
      expect(ours).toEqual(native);
      // threads made with clone3, each line after the first thread with its [pid N]
      expect(text).toMatch(/^\[pid +\d+\] clone3\(\{flags=CLONE_VM\|CLONE_FS\|CLONE_FILES\|CLONE_SIGHAND\|CLONE_THREAD\|CLONE_SYSVSEM\|CLONE_SETTLS\|CLONE_PARENT_SETTID\|CLONE_CHILD_CLEARTID, .* => \{parent_tid=\[\d+\]\}, 88\) += \d+$/m);
      expect(text).not.toMatch(/ENOSYS/);
    }, 180_000);
  }

  it("main-exit.c: the main thread's pthread_exit shows no +++ line until the last thread ends, as strace -f prints it", (ctx) => {
    const b = buildC("main-exit.c", "x86_64", ["-pthread"]);
    if ("skip" in b) return ctx.skip(b.skip);
    const nOut = join(dir, "n-exit.txt"), sOut = join(dir, "s-exit.txt");
    spawnSync("strace", ["-f", "-o", nOut, b.path, "x"], { stdio: "ignore" });
    spawnSync(process.execPath, [CLI, "trace", "-o", sOut, b.path, "x"], { stdio: "ignore" });
    // the end lines in order, each named by whether the main thread (the first line's) wrote it
    const ends = (text: string, pidOf: (l: string) => [number, string] | undefined) => {
      const lines = text.trimEnd().split("\n").map(pidOf);
      const main = lines[0]?.[0];
      return lines.filter((l) => l?.[1].startsWith("+++")).map((l) => `${l![0] === main ? "main" : "thread"} ${l![1]}`);
    };
    const native = ends(readFileSync(nOut, "latin1"), nativeLine);
    expect(native).toEqual(["thread +++ exited with 3 +++", "main +++ exited with 3 +++"]);
    const text = readFileSync(sOut, "latin1");
    const first = Number(/set_tid_address\(0x[0-9a-f]+\) += (\d+)/.exec(text)?.[1] ?? 0);
    expect(ends(text, oursLine(first))).toEqual(native);
  }, 120_000);
});
