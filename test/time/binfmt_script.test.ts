// execve of "#!" scripts (kernel-model/fs/binfmt_script.ts, called from syscalls/kernel/exec.ts):
// the interpreter's argv, one optional argument with its inner spaces, nested scripts, the
// recursion limit, the 256-byte line, and the errors, compared with native runs on both ABIs.
import { chmodSync, mkdtempSync, mkdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { ROOT, ensureDist, sysgate } from "../run/cli.js";
import { canBuild, program, runNative } from "./build.js";

const BUSYBOX = join(ROOT, ".cache/corpus/amd64/busybox");

beforeAll(() => ensureDist(), 600_000);

/** The scripts, by name: contents (a function of the interpreter's path) and mode. */
function scripts(exe: string): [string, string | Buffer, number][] {
  return [
    ["plain", `#!${exe}\n`, 0o755],
    ["one-arg", `#!${exe} -x\necho not read\n`, 0o755],
    ["spaces", `#! \t ${exe}   one  two three  \t\n`, 0o755],
    ["tab-arg", `#!${exe}\targ\n`, 0o755],
    ["nested", "#!./one-arg\n", 0o755],
    ["nested2", "#!./nested last\n", 0o755],
    ["loop", "#!./loop\n", 0o755],
    ["deep1", "#!./deep2\n", 0o755], ["deep2", "#!./deep3\n", 0o755], ["deep3", "#!./deep4\n", 0o755],
    ["deep4", "#!./deep5\n", 0o755], ["deep5", `#!${exe}\n`, 0o755],
    ["deep0", "#!./deep1\n", 0o755],
    ["empty", "#!\n", 0o755],
    ["blank", "#!   \t \n", 0o755],
    ["missing", "#!/nonexistent/interpreter\n", 0o755],
    ["long-arg", `#!${exe} ${"x".repeat(300)}\n`, 0o755],
    ["long-name", `#!/${"y".repeat(300)}\n`, 0o755],
    ["nul", Buffer.concat([Buffer.from(`#!${exe} ab`), Buffer.from([0]), Buffer.from("cd\n")]), 0o755],
    ["no-newline", `#!${exe} tail`, 0o755],
    ["not-exec", `#!${exe}\n`, 0o644],
    ["garbage", "just text\n", 0o755],
    ["dir-interp", "#!/tmp\n", 0o755],
    ["busybox-sh", `#!${BUSYBOX} sh\necho "sh ran $0 with $# args: $1/$2"\nexit 3\n`, 0o755],
  ];
}

for (const bits of [64, 32] as const) {
  describe.skipIf(!canBuild[bits])(`#! scripts (${bits}-bit)`, () => {
    it("execve runs the interpreter as Linux does", () => {
      const exe = program("binfmt", bits);
      const dir = mkdtempSync(join(tmpdir(), "sysgate-binfmt-"));
      mkdirSync(join(dir, "sub"));
      const list = scripts(exe);
      for (const [name, text, mode] of list) {
        writeFileSync(join(dir, name), text);
        chmodSync(join(dir, name), mode);
      }
      const argv = [exe, "--exec", ...list.map(([name]) => `./${name}`)];
      const n = spawnIn(dir, argv);
      expect(n).toContain("interpreter argv: [" + exe + "] [-x] [./one-arg] [./nested] [last] [./nested2] [a1] [a 2]");
      expect(n).toContain("execve: errno 40"); // ELOOP
      const s = sysgate(["run", "-q", ...argv], { cwd: dir, timeout: 120_000 });
      expect(s.stdout, s.stderr).toBe(n);
    }, 180_000);
  });
}

function spawnIn(cwd: string, argv: string[]): string {
  const prev = process.cwd();
  process.chdir(cwd);
  try {
    const r = runNative(argv);
    return r.stdout;
  } finally {
    process.chdir(prev);
  }
}
