// Debian's static tini in subreaper mode (`tini -s`), natively and under sysgate: a supervisor
// that someone else wrote asks PR_SET_CHILD_SUBREAPER, waits for signals with sigtimedwait,
// forwards them to its child, reaps the orphans handed to it and exits with its child's status.
// The binary is fetched by the tests' global setup (test/corpus/fetch-tini.sh into .cache/tini).
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { ROOT, ensureDist, sysgate } from "../run/cli.js";

const TINI = join(ROOT, ".cache/tini/amd64/tini-static");
const BB = { 64: join(ROOT, ".cache/corpus/amd64/busybox"), 32: join(ROOT, ".cache/corpus/i386/busybox") } as const;
const native = process.platform === "linux" && process.arch === "x64";
const have = native && existsSync(TINI) && existsSync(BB[64]) && existsSync(BB[32]);

// The shell under tini starts a grandchild through a command substitution whose subshell exits at
// once: the grandchild is orphaned, goes to the nearest subreaper (tini, the shell's parent), and
// reports who its parent became; once it has exited the shell looks for what is left of it.
const ORPHAN = `exec 3>&1
[ "$PPID" -gt 1 ] && echo "the shell's parent is tini, not init"
o=$(sh -c 'sleep 0.2; read _ _ _ pp _ < /proc/$$/stat; [ "$pp" = "$1" ] && echo "orphan: reparented to tini" || echo "orphan: reparented to $pp"' sh "$PPID" >&3 & echo $!)
sleep 1
if [ -e /proc/$o ]; then echo "orphan left: state $(cut -d' ' -f3 /proc/$o/stat)"; else echo "orphan reaped"; fi
exit 3
`;

function both(argv: string[], opts: string[] = []) {
  const n = spawnSync(argv[0], argv.slice(1), { encoding: "utf8", timeout: 30_000 });
  if (n.error) throw n.error;
  const s = sysgate(["run", "-q", ...opts, ...argv], { timeout: 90_000 });
  return { n: { stdout: n.stdout, status: n.status }, s: { stdout: s.stdout, status: s.status }, stderr: s.stderr };
}

beforeAll(() => ensureDist(), 600_000);

describe.skipIf(!have)("tini -s (subreaper mode) under sysgate and natively", () => {
  const dir = have ? mkdtempSync(join(tmpdir(), "sysgate-tini-")) : "";
  const script = join(dir, "orphan.sh");
  if (have) writeFileSync(script, ORPHAN);

  for (const bits of [64, 32] as const) {
    it(`reaps an orphaned grandchild and forwards the exit status (busybox ${bits}-bit under tini)`, () => {
      const { n, s, stderr } = both([TINI, "-s", "--", BB[bits], "sh", script]);
      expect(n).toEqual({ stdout: "the shell's parent is tini, not init\norphan: reparented to tini\norphan reaped\n", status: 3 });
      expect(s, stderr).toEqual(n);
    }, 120_000);
  }

  it("the same on the virtual clock (--deterministic), twice alike", () => {
    const { n, s } = both([TINI, "-s", "--", BB[64], "sh", script], ["--deterministic"]);
    expect(s).toEqual(n);
    const again = sysgate(["run", "-q", "--deterministic", TINI, "-s", "--", BB[64], "sh", script]);
    expect(again.stdout).toBe(s.stdout);
  }, 120_000);

  it("a child killed by a signal: tini exits 128 + the signal", () => {
    const { n, s } = both([TINI, "-s", "--", BB[64], "sh", "-c", "kill -TERM $$"]);
    expect(n.status).toBe(143);
    expect(s).toEqual(n);
  }, 120_000);

  it("a signal sent to tini is forwarded to its child", () => {
    const { n, s } = both([TINI, "-s", "--", BB[64], "sh", "-c", 'trap "echo got TERM; exit 7" TERM; kill -TERM $PPID; sleep 1 & wait; echo missed']);
    expect(n).toEqual({ stdout: "got TERM\n", status: 7 });
    expect(s).toEqual(n);
  }, 120_000);
});
