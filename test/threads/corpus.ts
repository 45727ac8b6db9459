// The threads corpus, built by the tests from the sources in test/threads/src with the machine's
// toolchains: gcc (-static, -m32 with gcc-multilib), Debian's golang-go (CGO_ENABLED=0: a static
// binary), and rustc if it is installed (+crt-static). Builds go to .cache/threads, named by a
// hash of the source and the command, so a source change rebuilds and nothing else does.
// A missing toolchain is a reason to skip, given back as text.

import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, renameSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { ROOT } from "../run/cli.js";

export const SRC = join(ROOT, "test", "threads", "src");
const OUT = join(ROOT, ".cache", "threads");

export type Built = { path: string } | { skip: string };

function found(cmd: string, args = ["--version"]): boolean {
  return spawnSync(cmd, args, { encoding: "utf8" }).status === 0;
}

/** Runs a build that writes `out`: into a temporary name first, so a killed build leaves nothing. */
function build(name: string, source: string, cmd: string, args: (out: string) => string[], env: NodeJS.ProcessEnv = {}): Built {
  const hash = createHash("sha256").update(readFileSync(join(SRC, source))).update(cmd).update(args("OUT").join(" ")).digest("hex").slice(0, 12);
  const out = join(OUT, `${name}-${hash}`);
  if (existsSync(out)) return { path: out };
  mkdirSync(OUT, { recursive: true });
  const tmp = `${out}.tmp${process.pid}`;
  const r = spawnSync(cmd, args(tmp), { cwd: SRC, encoding: "utf8", env: { ...process.env, ...env }, timeout: 600_000 });
  if (r.status !== 0) throw new Error(`building ${name} failed: ${cmd} ${args(tmp).join(" ")}\n${r.stdout}${r.stderr}${r.error ?? ""}`);
  renameSync(tmp, out);
  return { path: out };
}

/** A C program, static, for x86-64 or (with -m32) i386. */
export function buildC(source: string, abi: "x86_64" | "i386", extra: string[] = []): Built {
  if (!found("gcc")) return { skip: "gcc not found (apt-get install gcc)" };
  const m = abi === "i386" ? ["-m32"] : [];
  if (abi === "i386" && spawnSync("gcc", ["-m32", "-static", "-x", "c", "-", "-o", "/dev/null"], { input: "int main(void){return 0;}" }).status !== 0) {
    return { skip: "gcc -m32 -static cannot link (apt-get install gcc-multilib)" };
  }
  return build(`${source.replace(/\.c$/, "")}-${abi}`, source, "gcc", (o) => [...m, "-static", "-O2", "-Wall", ...extra, "-o", o, source]);
}

/** A Go program with the standard library only, CGO_ENABLED=0 (static), GOARCH amd64 or 386. */
export function buildGo(source: string, abi: "x86_64" | "i386"): Built {
  if (!found("go", ["version"])) return { skip: "go not found (apt-get install golang-go)" };
  const cache = join(ROOT, ".cache", "go");
  return build(`${source.replace(/\.go$/, "")}-${abi}`, source, "go", (o) => ["build", "-trimpath", "-o", o, source], {
    CGO_ENABLED: "0", GOARCH: abi === "i386" ? "386" : "amd64", GOCACHE: join(cache, "build"), GOPATH: join(cache, "path"),
    GOFLAGS: "", GO111MODULE: "off",
  });
}

/** rustc from PATH, or where rustup puts it. */
function rustc(): string | undefined {
  if (found("rustc")) return "rustc";
  const home = process.env.CARGO_HOME ?? join(homedir(), ".cargo");
  const p = join(home, "bin", "rustc");
  return existsSync(p) && found(p) ? p : undefined;
}

/** A Rust program with std only, linked statically (x86_64-unknown-linux-gnu, +crt-static). */
export function buildRust(source: string): Built {
  const cmd = rustc();
  if (!cmd) return { skip: "rustc not found (install a Rust toolchain, e.g. rustup; Debian's rustc also works)" };
  return build(`${source.replace(/\.rs$/, "")}-x86_64`, source, cmd, (o) =>
    ["-O", "-C", "target-feature=+crt-static", "--target", "x86_64-unknown-linux-gnu", "-o", o, source]);
}

export interface Run { stdout: string; stderr: string; status: number | null; signal: NodeJS.Signals | null }

/** The program run natively: the oracle. */
export function runNative(path: string, args: string[] = []): Run {
  const r = spawnSync(path, args, { encoding: "utf8", timeout: 60_000 });
  if (r.error) throw r.error;
  return { stdout: r.stdout, stderr: r.stderr, status: r.status, signal: r.signal };
}
