// The command line with a careless user's input: every usage error is one line and status 2, each
// command names itself, a missing program is 127 and one that cannot run 126 (as shells do),
// --root is a jail for the program's path and for the environment, and --help lists the limits.

import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, copyFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ROOT, ensureDist, sysgate } from "./cli.js";

const HELLO = join(ROOT, "samples", "bin", "x86_64", "hello-syscall");
const BUSYBOX = join(ROOT, ".cache", "corpus", "amd64", "busybox");

let dir: string;
beforeAll(() => {
  ensureDist();
  dir = mkdtempSync(join(tmpdir(), "sysgate-cli-"));
}, 120_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function oneLine(r: { stderr: string; stdout: string }): string {
  const lines = r.stderr.split("\n").filter(Boolean);
  expect(lines, r.stderr).toHaveLength(1);
  expect(r.stderr).not.toMatch(/internal error|^\s+at /m);
  return lines[0];
}

describe("usage errors: one line, status 2", () => {
  const cases: [string, string[], RegExp][] = [
    ["--root /nonexistent", ["run", "--root", "/nonexistent", "/x"], /--root \/nonexistent: no such directory/],
    ["--root ''", ["run", "--root", "", "/x"], /--root needs a directory/],
    ["--root on a file", ["run", "--root", HELLO, "/x"], /not a directory/],
    ["trace -o /nonexistent/x", ["trace", "-o", "/nonexistent/x", HELLO], /-o \/nonexistent\/x/],
    ["--memory 1M", ["run", "--memory", "1M", HELLO], /--memory 1M is too small/],
    ["--memory with no value", ["run", "--memory"], /--memory needs a value/],
    ["an unknown option", ["trace", "--frobnicate", HELLO], /^sysgate: trace: unknown option '--frobnicate'/],
    ["--max-procs 0", ["run", "--max-procs", "0", HELLO], /--max-procs takes a whole number/],
    ["--env =x", ["run", "--env", "=x", HELLO], /--env takes NAME=VALUE/],
  ];
  for (const [what, args, why] of cases) {
    it(what, () => {
      const r = sysgate(args);
      expect(r.status).toBe(2);
      expect(oneLine(r)).toMatch(why);
    });
  }

  for (const cmd of ["run", "trace", "step"]) {
    it(`sysgate ${cmd} with no program names ${cmd}`, () => {
      const r = sysgate([cmd]);
      expect(r.status).toBe(2);
      expect(oneLine(r)).toMatch(new RegExp(`^sysgate: ${cmd}: which program\\? usage: sysgate ${cmd} `));
    });
  }
});

describe("programs that are missing or cannot run, as a shell reports them", () => {
  it("a missing program: 127", () => {
    const r = sysgate(["run", join(dir, "nope")]);
    expect(r.status).toBe(127);
    expect(oneLine(r)).toMatch(/no such file/);
  });
  it("a program that is not an ELF: 126", () => {
    writeFileSync(join(dir, "text"), "hello\n", { mode: 0o755 });
    const r = sysgate(["run", join(dir, "text")]);
    expect(r.status).toBe(126);
    oneLine(r);
  });
  it("bash gives the same two statuses", () => {
    const bash = (p: string) => spawnSync("bash", ["-c", p], { stdio: "ignore" }).status;
    expect(sysgate(["run", join(dir, "nope")]).status).toBe(bash(join(dir, "nope")));
    expect(sysgate(["run", join(dir, "text")]).status).toBe(bash(`${join(dir, "text")} 2>/dev/null; exit 126`)); // bash runs text as a script; not-an-ELF is its 126 case
  });
});

it("--version prints the package's version", () => {
  const r = sysgate(["--version"]);
  expect(r.status).toBe(0);
  expect(r.stdout.trim()).toBe(`sysgate ${JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")).version}`);
});

it("run --help lists the limits and their defaults", () => {
  const r = sysgate(["run", "--help"]);
  expect(r.status).toBe(0);
  expect(r.stdout).toMatch(/--memory SIZE +memory of each process.*\(default 1024M/);
  expect(r.stdout).toMatch(/--max-procs N +processes at once in the run \(default 256\)/);
  expect(r.stdout).toMatch(/--phys-memory SIZE +the machine's physical memory in total, all processes together \(default\s+2G/);
  expect(r.stdout).toMatch(/argument size .*2M[^]*128K \(MAX_ARG_STRLEN\)/);
  expect(r.stdout).toMatch(/--root DIR .*\n.*looked up inside DIR/);
});

describe("--root DIR is a jail", () => {
  let jail: string;
  beforeAll(() => {
    jail = join(dir, "jail");
    mkdirSync(join(jail, "bin"), { recursive: true });
    copyFileSync(BUSYBOX, join(jail, "bin", "busybox"));
    symlinkSync("/bin/busybox", join(jail, "bin", "sh")); // absolute: resolved inside the jail
  });

  it.runIf(existsBusybox())("the program's path is looked up inside DIR, absolute symlinks too", () => {
    const r = sysgate(["run", "--root", jail, "/bin/sh", "-c", "echo in jail"]);
    expect(r.stderr).toBe("");
    expect(r.stdout).toBe("in jail\n");
  });

  it("a path that exists only on the host is not found (127)", () => {
    const r = sysgate(["run", "--root", jail, HELLO]);
    expect(r.status).toBe(127);
    expect(oneLine(r)).toMatch(/inside --root/);
  });

  it.runIf(existsBusybox())("the host's environment stays out; --env and --clear-env control it", () => {
    const env = { ...process.env, SYSGATE_TEST_TOKEN: "secret", LANG: "C.UTF-8" };
    const vars = (args: string[]) => sysgate(["run", ...args, "/bin/sh", "-c", "env"], { env }).stdout.split("\n").filter(Boolean).sort();
    const jailed = vars(["--root", jail]);
    expect(jailed.some((l) => l.startsWith("SYSGATE_TEST_TOKEN="))).toBe(false);
    expect(jailed).toContain("LANG=C.UTF-8");
    expect(jailed).toContain("HOME=/");
    expect(vars(["--root", jail, "--env", "SYSGATE_TEST_TOKEN", "--env", "A=b c"])).toEqual(expect.arrayContaining(["SYSGATE_TEST_TOKEN=secret", "A=b c"]));
    // with --clear-env the shell sees what it sees natively under env -i (busybox sh adds its own)
    const cleared = vars(["--root", jail, "--clear-env", "--env", "X=1"]);
    const native = spawnSync("env", ["-i", "X=1", BUSYBOX, "sh", "-c", "env"], { encoding: "utf8" }).stdout.split("\n").filter(Boolean).sort();
    const noPwd = (xs: string[]) => xs.filter((l) => !l.startsWith("PWD="));
    expect(noPwd(cleared)).toEqual(noPwd(native));
  });

  it.runIf(existsBusybox())("without --root the host's environment passes", () => {
    const r = sysgate(["run", BUSYBOX, "env"], { env: { ...process.env, SYSGATE_TEST_TOKEN: "visible" } });
    expect(r.stdout).toContain("SYSGATE_TEST_TOKEN=visible\n");
  });
});

function existsBusybox(): boolean {
  return existsSync(BUSYBOX);
}
