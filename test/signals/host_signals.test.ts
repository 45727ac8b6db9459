// Signals from the host (emulator/host_signals.ts): SIGINT / SIGTERM sent to the sysgate process
// reach the guest as a terminal would send them (every guest process stands for the foreground
// process group), sysgate does not die of them, and a guest that only the outside world can wake
// waits instead of being killed as a deadlock. Natively the same programs run in a process group
// of their own that gets the same signals (kill(-pgid), as the tty does).
import { spawn, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { CLI, ROOT, ensureDist } from "../run/cli.js";
import { canBuild, program } from "../time/build.js";

const BUSYBOX = join(ROOT, ".cache/corpus/amd64/busybox");
const BUSYBOX32 = join(ROOT, ".cache/corpus/i386/busybox");
const native = process.platform === "linux" && process.arch === "x64";

beforeAll(() => ensureDist(), 600_000);

interface Ended { stdout: string; stderr: string; code: number | null; signal: string | null }

/**
 * Starts argv (detached: its own process group), waits for "ready" on its stdout, sends each
 * signal to the whole group after the previous one was answered (a line on stdout), and waits for
 * the end. Each signal goes a moment after the line, so that a shell is in its foreground
 * command's wait by then (a shell that gets SIGINT before it forks `sleep` runs its trap only
 * after the sleep).
 */
function withSignals(argv: string[], signals: NodeJS.Signals[]): Promise<Ended> {
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0], argv.slice(1), { detached: true, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "", stderr = "", lines = 0, sent = 0;
    const timer = setTimeout(() => { try { process.kill(-child.pid!, "SIGKILL"); } catch { /* gone */ } reject(new Error(`timeout; stdout ${stdout} stderr ${stderr}`)); }, 60_000);
    child.stdout.on("data", (d: Buffer) => {
      stdout += d.toString();
      const n = stdout.split("\n").length - 1;
      // each line answers the signal before it: send the next one
      while (lines < n) {
        lines++;
        if (sent < signals.length) {
          const sig = signals[sent++];
          setTimeout(() => { try { process.kill(-child.pid!, sig); } catch { /* gone */ } }, 500);
        }
      }
    });
    child.stderr.on("data", (d: Buffer) => { stderr += d.toString(); });
    child.on("error", reject);
    child.on("close", (code, signal) => { clearTimeout(timer); resolve({ stdout, stderr, code, signal }); });
  });
}

const run = (argv: string[]) => [process.execPath, CLI, "run", "-q", ...argv];

describe.skipIf(!native || !existsSync(BUSYBOX))("Ctrl-C and friends reach the guest", () => {
  for (const bb of [BUSYBOX, BUSYBOX32]) {
    const script = 'trap "echo caught; exit 5" INT; echo ready; sleep 20';
    it(`busybox sh's INT trap runs and its status is sysgate's (${bb === BUSYBOX ? 64 : 32}-bit)`, async () => {
      const n = await withSignals([bb, "sh", "-c", script], ["SIGINT"]);
      expect([n.stdout, n.code]).toEqual(["ready\ncaught\n", 5]);
      const s = await withSignals(run([bb, "sh", "-c", script]), ["SIGINT"]);
      expect({ stdout: s.stdout, code: s.code, signal: s.signal }, s.stderr).toEqual({ stdout: n.stdout, code: 5, signal: null });
    }, 90_000);
  }

  it("a guest killed by the forwarded SIGINT: status 130, no message (as bash prints none)", async () => {
    const n = await withSignals([BUSYBOX, "sh", "-c", "echo ready; sleep 20"], ["SIGINT"]);
    expect(n.signal).toBe("SIGINT");
    const s = await withSignals(run([BUSYBOX, "sh", "-c", "echo ready; sleep 20"]), ["SIGINT"]);
    expect([s.stdout, s.code, s.stderr]).toEqual(["ready\n", 130, ""]);
  }, 90_000);

  for (const bits of [64, 32] as const) {
    // "spin": the guest makes no syscall while it waits; the run hands back control every slice
    // while a handler waits for a host signal
    for (const [how, args] of [["a pause() loop", []], ["a loop busy in user mode", ["spin"]]] as const) {
      it.skipIf(!canBuild[bits])(`${how} that only host signals end runs their handlers (${bits}-bit)`, async () => {
        const exe = program("pause_loop", bits);
        const n = await withSignals([exe, ...args], ["SIGINT", "SIGTERM"]);
        expect([n.stdout, n.code]).toEqual(["ready\ngot 2\ngot 15\n", 7]);
        const s = await withSignals(run([exe, ...args]), ["SIGINT", "SIGTERM"]);
        expect({ stdout: s.stdout, code: s.code }, s.stderr).toEqual({ stdout: n.stdout, code: 7 });
      }, 90_000);
    }
  }

  for (const bits of [64, 32] as const) {
    it.skipIf(!canBuild[bits])(`Ctrl-C ends a guest busy in user mode, making no syscall (${bits}-bit)`, async () => {
      const exe = program("spin", bits);
      const n = await withSignals([exe], ["SIGINT"]);
      expect(n.signal).toBe("SIGINT");
      const s = await withSignals(run([exe]), ["SIGINT"]);
      // nothing in the guest catches SIGINT: sysgate itself may die of it, as the guest does
      // (a shell reports 130 either way)
      expect([s.stdout, s.code === 130 || s.signal === "SIGINT", s.stderr]).toEqual(["ready\n", true, ""]);
    }, 90_000);
  }

  it.skipIf(!canBuild[64])("a guest no host signal can wake is still ended as a deadlock", () => {
    const r = spawnSync(process.execPath, [CLI, "run", "-q", program("ignore_all", 64)], { encoding: "utf8", timeout: 60_000 });
    expect(r.status).toBe(137);
    expect(r.stderr).toMatch(/deadlock/);
  });

  it("a guest that dies of SIGPIPE: status 141 and no 'Broken pipe' (as bash)", () => {
    const r = spawnSync("bash", ["-c", `"${process.execPath}" "${CLI}" run -q "${BUSYBOX}" yes | head -n 1; echo "status \${PIPESTATUS[0]}"`], { encoding: "utf8", timeout: 60_000 });
    expect(r.stdout).toBe("y\nstatus 141\n");
    expect(r.stderr).toBe("");
  });
});
