// `r` gives back the frames the undone key handed out: the page tables put back no longer map
// them, so they are free again (before, each step back left them allocated, and stepping
// forward and back again used up physical memory). A key that filled the page cache or freed
// frames is refused instead, saying why.

import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { Machine } from "../../emulator/machine.js";
import { StepSession } from "../../emulator/ui/session.js";
import { ROOT } from "./helpers.js";
import { RECENT_CHANGE_MS } from "../../kernel-model/mm/filemap.js";

const dir = mkdtempSync(join(tmpdir(), "sysgate-undo-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const bin: Partial<Record<"x86_64" | "i386", string>> = {};
for (const abi of ["x86_64", "i386"] as const) {
  const out = join(dir, `touch-${abi}`);
  const r = spawnSync("gcc", [...(abi === "i386" ? ["-m32"] : []), "-static", "-O1", "-o", out, join(ROOT, "test/ui/src/touch_pages.c")]);
  if (r.status === 0) bin[abi] = out;
}
const cleanups: (() => void)[] = [];
afterEach(() => { for (const c of cleanups.splice(0)) c(); });

async function session(path: string, ...args: string[]): Promise<StepSession> {
  const m = await Machine.create(path, { argv: [path, ...args], captureOutput: true, deterministic: true, stdin: "", warn: () => {} });
  const s = await StepSession.create(m);
  cleanups.push(() => { s.close(); m.close(); });
  return s;
}

describe("step back frees the frames of the key it undoes", () => {
  for (const abi of ["x86_64", "i386"] as const) {
    it.skipIf(!bin[abi])(`${abi}: n over a memset of 16 new pages, then r, 20 times: frames in use as before`, async () => {
      const s = await session(bin[abi]!);
      const phys = s.machine.kernel.phys;
      s.toggleBreakpoint("mmap" + (abi === "i386" ? "2" : ""));
      s.run("continue"); // the first mmap's entry
      s.toggleBreakpoint("mmap" + (abi === "i386" ? "2" : ""));
      const before = phys.framesInUse;
      let grew = 0;
      for (let i = 0; i < 20; i++) {
        s.run("syscall"); // mmap, the memset faulting in 16 pages, to write's entry
        expect(s.syscallText(s.current!)).toBe('write(1, "a", 1) ...');
        grew = phys.framesInUse - before;
        expect(s.stepBack(), s.message).toBe(true);
        expect(phys.framesInUse).toBe(before);
      }
      expect(grew).toBeGreaterThanOrEqual(16);
      s.run("continue");
      expect(s.machine.stdout.toString()).toBe("abcd\n");
      expect(s.exit?.code).toBe(0);
    });
  }

  it.skipIf(!bin.x86_64)("a key that read a file page into the page cache is refused, and says why", async () => {
    const file = join(dir, "data");
    writeFileSync(file, "Z".repeat(8192));
    // a file changed a moment ago is not page-cached (mm/filemap.ts mappingKey): wait until it may be
    await new Promise((resolve) => setTimeout(resolve, RECENT_CHANGE_MS + 50));
    const s = await session(bin.x86_64!, file);
    s.toggleBreakpoint("mmap");
    s.run("continue"); // the file's mmap
    s.toggleBreakpoint("mmap");
    s.run("syscall"); // mmap, the read fault (a page-cache page), to write's entry
    expect(s.syscallText(s.current!)).toBe('write(1, "Z", 1) ...');
    expect(s.stepBack()).toBe(false);
    expect(s.message).toBe("no stepping back over the last key: the page cache read file pages in it (other processes may map them now)");
    s.run("continue");
    expect(s.machine.stdout.toString()).toBe("Zabcd\n");
  });
});
