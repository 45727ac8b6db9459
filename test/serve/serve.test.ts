// `sysgate serve` and sysgate-client against native runs: each command line is run by the host's
// shell twice, once with busybox started directly and once through the client ($RUN), and both
// must print the same and end the same. The server runs for the whole file and must keep serving
// after every test, including the ones that send it garbage or vanish in the middle of a run.

import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, rmSync, writeFileSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { CLI, ROOT, ensureDist, sysgate } from "../run/cli.js";

const BB = join(ROOT, ".cache", "corpus", "amd64", "busybox");
const SOURCE = join(ROOT, "emulator", "cli", "client", "sysgate-client.c");
const PREBUILT = join(ROOT, "emulator", "cli", "client", "sysgate-client-x86_64");

const dir = mkdtempSync(join(tmpdir(), "sysgate-serve-test-"));
const SOCKET = join(dir, "sock");

/** The client to test: built from the source here when gcc is there, else the committed prebuilt one. */
function findClient(): { path?: string; why?: string } {
  const built = join(dir, "sysgate-client");
  const cc = spawnSync("gcc", ["-O2", "-Wall", "-Werror", "-o", built, SOURCE], { encoding: "utf8" });
  if (cc.status === 0) return { path: built };
  if (cc.error === undefined) return { why: `gcc could not build the client: ${cc.stderr}` }; // a bug to see, not to skip
  const runs = spawnSync(PREBUILT, ["--help"], { encoding: "utf8" });
  if (runs.status === 0) return { path: PREBUILT };
  return { why: `no gcc to build emulator/cli/client/sysgate-client.c and the prebuilt client does not run here (${runs.error?.message ?? runs.status})` };
}
const client = findClient();
if (client.why && !client.why.startsWith("gcc could not")) console.warn(`test/serve skipped: ${client.why}`);
const haveBusybox = existsSync(BB);
if (!haveBusybox) console.warn(`test/serve skipped: ${BB} missing (test/corpus/fetch-busybox.sh)`);

const RUN = `${client.path} run -q`;
const env = { ...process.env, SYSGATE_SOCKET: SOCKET, BB };

interface ShellRun { stdout: string; stderr: string; status: number | null }
/** `line` run by sh in `cwd` with $RUN set to `run` (empty: native) and $BB the busybox. */
function sh(line: string, run: string, opts: { input?: string; cwd?: string } = {}): ShellRun {
  const r = spawnSync("sh", ["-c", line], {
    encoding: "utf8", env: { ...env, RUN: run }, input: opts.input, cwd: opts.cwd ?? dir, timeout: 60_000, maxBuffer: 16 << 20,
  });
  if (r.error) throw r.error;
  return { stdout: r.stdout, stderr: r.stderr, status: r.status };
}

afterAll(() => rmSync(dir, { recursive: true, force: true }));

let server: ChildProcess | undefined;
let serverLog = "";

/** `sysgate serve` on `socket` with `args`, once it listens; `log` gets what it says. */
async function startServer(socket: string, args: string[], log: (s: string) => void): Promise<ChildProcess> {
  // SYSGATE_SERVE_TIMING: a line per finished request in the log (a test waits for one)
  const s = spawn(process.execPath, [CLI, "serve", "--socket", socket, ...args], { stdio: ["ignore", "ignore", "pipe"], env: { ...process.env, SYSGATE_SERVE_TIMING: "1" } });
  let said = "";
  await new Promise<void>((resolve, reject) => {
    s.stderr!.on("data", (d: Buffer) => {
      said += d.toString();
      log(d.toString());
      if (said.includes("listening on")) resolve();
    });
    s.on("exit", (code) => reject(new Error(`sysgate serve ended (${code}):\n${said}`)));
  });
  return s;
}

/** The server is still up and answers a request. */
function expectServing(): void {
  expect(server?.exitCode, `server ended:\n${serverLog}`).toBe(null);
  expect(sh(`$RUN $BB echo still here`, RUN)).toEqual({ stdout: "still here\n", stderr: "", status: 0 });
}

describe.skipIf(!client.path || !haveBusybox)("sysgate serve with sysgate-client", () => {
  beforeAll(async () => {
    ensureDist();
    server = await startServer(SOCKET, [], (s) => { serverLog += s; });
  });
  afterAll(() => {
    server?.kill("SIGTERM");
  });
  afterEach(() => {
    expect(server?.exitCode, `server ended:\n${serverLog}`).toBe(null);
  });

  it.each([
    ["echo", `$RUN $BB echo hello world`],
    ["cat of stdin from a host pipe", `printf 'one\\ntwo\\n' | $RUN $BB cat`],
    ["a pipeline of two clients, more than 64 KiB through the pipe", `$RUN $BB seq 1 40000 | $RUN $BB md5sum`],
    ["false", `$RUN $BB false`],
    ["exit status of a shell", `$RUN $BB sh -c 'exit 42'`],
    ["the client's cwd and a relative path", `mkdir -p sub && echo inside > sub/f && cd sub && $RUN $BB cat f && $RUN $BB pwd`],
    ["the client's environment", `FOO=bar $RUN $BB sh -c 'echo $FOO'`],
    ["stdin closed", `$RUN $BB cat <&-`],
  ])("%s: as native", (_name, line) => {
    const native = sh(line, "");
    expect(sh(line, RUN)).toEqual(native);
  });

  it("two sequential clients in one ( ... ) > f group share the file's offset", () => {
    const line = `( $RUN $BB echo first; $RUN $BB echo second; $RUN $BB printf third ) > out.txt && cat out.txt`;
    const native = sh(line, "");
    expect(native.stdout).toBe("first\nsecond\nthird");
    expect(sh(line, RUN)).toEqual(native);
    // the passed descriptors are closed when each run ends: the server holds nothing of out.txt
    const held = readdirSync(`/proc/${server!.pid}/fd`).map((fd) => { try { return readlinkSync(`/proc/${server!.pid}/fd/${fd}`); } catch { return ""; } });
    expect(held.filter((l) => l.includes("out.txt"))).toEqual([]);
  });

  it("a guest killed by a signal: 128+N and the line sysgate run prints", () => {
    const line = `$RUN $BB sh -c 'kill -SEGV $$'`;
    const native = sh(line, "");
    const served = sh(line, RUN);
    expect(served.status).toBe(native.status);
    expect(served.status).toBe(139);
    const run = sysgate(["run", "-q", BB, "sh", "-c", "kill -SEGV $$"]);
    expect(served.stderr).toBe(run.stderr);
  });

  it("a missing program, one that is no ELF, a bad option: the status and message of sysgate run", () => {
    for (const args of [["./no-such-program"], [SOURCE], ["--no-such-option", BB, "true"], ["--memory", "1K", BB, "true"]]) {
      const served = sh(`$RUN ${args.join(" ")}`, RUN);
      const run = sysgate(["run", "-q", ...args], { cwd: dir });
      expect({ status: served.status, stderr: served.stderr }).toEqual({ status: run.status, stderr: run.stderr });
    }
    expectServing();
  });

  it("relative paths in run options are the client's: --root, --bind", () => {
    const line = `mkdir -p jail/bin data && cp $BB jail/bin/busybox && echo hello > data/f && ` +
      `$RUN --root jail --bind data:/data /bin/busybox cat /data/f && $RUN --root jail /bin/busybox pwd`;
    expect(sh(line, RUN)).toEqual({ stdout: "hello\n/\n", stderr: "", status: 0 });
  });

  it("the client refuses step and trace, and says so when no server listens", () => {
    const step = spawnSync(client.path!, ["step", BB], { encoding: "utf8", env });
    expect(step.status).toBe(2);
    expect(step.stderr).toMatch(/only `run` is served/);
    const none = spawnSync(client.path!, ["run", BB, "true"], { encoding: "utf8", env: { ...env, SYSGATE_SOCKET: join(dir, "nobody") } });
    expect(none.status).toBe(70);
    expect(none.stderr).toMatch(/no sysgate server at .*nobody.*sysgate serve/);
  });

  it("a server that cannot listen where it is told says why in one line and exits with the usage status", () => {
    for (const [socket, why] of [[join(dir, "no-such-dir", "sock"), "No such file or directory"], [join(dir, "x".repeat(120)), "the path is too long for a socket"]]) {
      const r = spawnSync(process.execPath, [CLI, "serve", "--socket", socket], { encoding: "utf8", timeout: 30_000 });
      expect(r.status).toBe(2);
      expect(r.stderr).toBe(`sysgate: serve: cannot listen on ${socket}: ${why}${why.includes("too long") ? " (at most 107 bytes)" : ""}\n`);
    }
  });

  /** Starts a client, waits for the guest's first line on stdout, then sends the client `sig`. */
  async function signalMidRun(args: string[], sig: NodeJS.Signals): Promise<{ status: number | null; signal: NodeJS.Signals | null; stdout: string }> {
    const c = spawn(client.path!, ["run", "-q", BB, ...args], { env, stdio: ["pipe", "pipe", "pipe"] });
    let out = "";
    const end = new Promise<{ status: number | null; signal: NodeJS.Signals | null }>((resolve) => c.on("exit", (status, signal) => resolve({ status, signal })));
    await new Promise<void>((resolve) => c.stdout!.on("data", (d: Buffer) => {
      out += d.toString();
      if (out.includes("\n")) resolve();
    }));
    c.kill(sig);
    const timer = setTimeout(() => c.kill("SIGKILL"), 20_000);
    const r = await end;
    clearTimeout(timer);
    return { ...r, stdout: out };
  }

  it("SIGINT to the client reaches the guest: asleep, and blocked reading the client's stdin", async () => {
    // (the client's stdin is a pipe that stays open: cat waits in the host's read)
    expect(await signalMidRun(["sh", "-c", "echo go; exec sleep 30"], "SIGINT")).toEqual({ status: 130, signal: null, stdout: "go\n" });
    expect(await signalMidRun(["sh", "-c", "echo go; exec cat"], "SIGINT")).toEqual({ status: 130, signal: null, stdout: "go\n" });
    // a handler in the guest runs, and the guest goes on
    const trapped = await signalMidRun(["sh", "-c", "trap 'echo caught; exit 3' TERM; echo go; while :; do sleep 0.05; done"], "SIGTERM");
    expect(trapped).toEqual({ status: 3, signal: null, stdout: "go\ncaught\n" });
    expectServing();
  });

  it("SIGINT to a client whose guest waits for a full pipe that nobody reads", async () => {
    const c = spawn(client.path!, ["run", "-q", BB, "sh", "-c", "echo go >&2; exec yes"], { env, stdio: ["ignore", "pipe", "pipe"] });
    c.stdout!.pause(); // the pipe fills up and stays full
    await new Promise<void>((resolve) => c.stderr!.once("data", () => resolve()));
    await new Promise((resolve) => setTimeout(resolve, 300));
    const end = new Promise<number | null>((resolve) => c.on("exit", (status) => resolve(status)));
    c.kill("SIGINT");
    const timer = setTimeout(() => c.kill("SIGKILL"), 20_000);
    expect(await end).toBe(130);
    clearTimeout(timer);
    c.stdout!.destroy();
    expectServing();
  });

  it("a client that vanishes mid-run: its guest is ended (asleep, or spinning without a syscall), the server goes on", async () => {
    for (const script of ["echo go; exec sleep 60", "echo go; while :; do :; done"]) {
      const c = spawn(client.path!, ["run", "-q", BB, "sh", "-c", script], { env, stdio: ["ignore", "pipe", "ignore"] });
      await new Promise<void>((resolve) => c.stdout!.once("data", () => resolve()));
      c.kill("SIGKILL");
      await new Promise((resolve) => c.on("exit", resolve));
      // its run ends (SIGKILL from the server) long before the guest would
      const done = new RegExp(`request \\d+ \\(sh -c ${script.slice(0, 30).replace(/[$()*+.?[\]^{|}\\]/g, "\\$&")}`);
      for (let waited = 0; !done.test(serverLog); waited += 100) {
        expect(waited, `the vanished client's guest still runs:\n${serverLog}`).toBeLessThan(10_000);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
    expectServing();
  });

  it("a server that goes away mid-run: the client says so and ends with 70", async () => {
    const other = join(dir, "other.sock");
    const second = spawn(process.execPath, [CLI, "serve", "--socket", other], { stdio: ["ignore", "ignore", "pipe"] });
    await new Promise<void>((resolve) => second.stderr!.on("data", (d: Buffer) => { if (d.toString().includes("listening on")) resolve(); }));
    const c = spawn(client.path!, ["run", "-q", BB, "sh", "-c", "echo go; exec sleep 60"], { env: { ...env, SYSGATE_SOCKET: other }, stdio: ["ignore", "pipe", "pipe"] });
    let err = "";
    c.stderr!.on("data", (d: Buffer) => { err += d.toString(); });
    await new Promise<void>((resolve) => c.stdout!.once("data", () => resolve()));
    const end = new Promise<number | null>((resolve) => c.on("exit", (status) => resolve(status)));
    second.kill("SIGKILL");
    expect(await end).toBe(70);
    expect(err).toBe("sysgate-client: the sysgate server went away before the program ended\n");
    expectServing();
  });

  /** Sends raw bytes to the server, gives what it answered before closing. */
  function raw(bytes: Buffer, closeAfterWrite = false): Promise<Buffer> {
    return new Promise((resolve) => {
      const s = connect(SOCKET);
      const got: Buffer[] = [];
      s.on("connect", () => {
        s.write(bytes);
        if (closeAfterWrite) s.end();
      });
      s.on("data", (d) => got.push(d));
      s.on("error", () => resolve(Buffer.concat(got)));
      s.on("close", () => resolve(Buffer.concat(got)));
    });
  }

  it("garbage, a huge request and a request cut short are refused; the server goes on", async () => {
    const garbage = await raw(Buffer.from("GET / HTTP/1.0\r\n\r\n"));
    expect(garbage.toString("latin1")).toMatch(/^M.{4}sysgate serve: not a sysgate-client request\nX/s);
    const huge = Buffer.alloc(8);
    huge.write("SGR1");
    huge.writeUInt32LE(0xffffffff, 4);
    expect((await raw(huge)).toString("latin1")).toMatch(/request too large/);
    const short = Buffer.alloc(20);
    short.write("SGR1");
    short.writeUInt32LE(1 << 20, 4);
    expect((await raw(short, true)).length).toBe(0);
    // strings that never end, a count of strings larger than the request
    const body = Buffer.alloc(28 + 4, 0x41);
    body.writeUInt32LE(0, 0);
    body.writeUInt32LE(1000, 20);
    body.writeUInt32LE(1000, 24);
    const head = Buffer.alloc(8);
    head.write("SGR1");
    head.writeUInt32LE(body.length, 4);
    expect((await raw(Buffer.concat([head, body]))).toString("latin1")).toMatch(/cut short/);
    expectServing();
  });

  it("a long argument list passes whole", () => {
    const args = Array.from({ length: 2000 }, (_, i) => `argument-${i}-${"x".repeat(40)}`);
    const line = `$RUN $BB echo ${args.join(" ")} | $RUN $BB wc -c`;
    expect(sh(line, RUN)).toEqual(sh(line, ""));
  });

  it("the server log says nothing went wrong inside", () => {
    expectServing();
    expect(serverLog).not.toMatch(/failed|internal error|Warning/);
  });
});

// One runner thread (--workers 1): every request runs in the same warm kernel, one after another
// (emulator/warm_kernels.ts). Whatever a request changes must be gone for the next one, which
// prints what it prints under a `sysgate run` of its own, and what native busybox prints.
describe.skipIf(!client.path || !haveBusybox)("consecutive requests in one warm kernel", () => {
  const socket = join(dir, "one.sock");
  let one: ChildProcess | undefined;
  let log = "";
  const envOne = { ...env, SYSGATE_SOCKET: socket };
  const RUN1 = `${client.path} run -q`;
  /** `line` by sh with $RUN the client of the one-runner server (or `run`). */
  const sh1 = (line: string, run = RUN1, opts: { input?: string } = {}) => {
    const r = spawnSync("sh", ["-c", line], { encoding: "utf8", env: { ...envOne, RUN: run }, input: opts.input ?? "", cwd: dir, timeout: 60_000 });
    if (r.error) throw r.error;
    return { stdout: r.stdout, stderr: r.stderr, status: r.status };
  };
  beforeAll(async () => {
    ensureDist();
    one = await startServer(socket, ["--workers", "1"], (s) => { log += s; });
  });
  afterAll(() => { one?.kill("SIGTERM"); });
  afterEach(() => { expect(one?.exitCode, `server ended:\n${log}`).toBe(null); });

  // what the first request changes in its processes, and what the second one looks at
  const CHANGE = `exec 7>changed.txt; cd /; umask 077; ulimit -n 64; ulimit -s 1024; trap '' INT; trap 'echo x' TERM; export LEAKED=1; ` +
    `sleep 30 & exec 8<&0; echo started`;
  // the process list is read before `sort` is forked: a sort that runs beside cat may be listed
  const LOOK = `for f in 3 4 5 6 7 8 9; do test -e /proc/self/fd/\\$f && echo fd \\$f open; done; pwd; umask; grep -E '^Sig(Blk|Ign|Cgt)' /proc/self/status; echo \${LEAKED-unset}; c=\\$(cat /proc/[0-9]*/comm); echo \\"\\$c\\" | sort`;
  const LIMITS = `ulimit -n; ulimit -s`;

  it("descriptors, cwd, umask, signal dispositions, limits, environment and processes do not outlive a request", () => {
    const first = sh1(`$RUN $BB sh -c "${CHANGE}"`);
    expect(first).toEqual({ stdout: "started\n", stderr: "", status: 0 });
    const served = sh1(`$RUN $BB sh -c "${LOOK}"; $RUN $BB sh -c "${LIMITS}"`);
    // as a sysgate run of its own (a fresh process, a fresh machine)...
    const fresh = sh1(`$RUN $BB sh -c "${LOOK}"; $RUN $BB sh -c "${LIMITS}"`, `${process.execPath} ${CLI} run -q`);
    expect(served).toEqual(fresh);
    // ... and as native busybox, but for the process list (the model's init and stand-in) and the limits (the model's defaults)
    const nativeLook = sh1(`$RUN $BB sh -c "${LOOK.replace(/; c=.*$/, "")}"`, "");
    expect(sh1(`$RUN $BB sh -c "${LOOK.replace(/; c=.*$/, "")}"`)).toEqual(nativeLook);
    expect(served.stdout).not.toMatch(/sleep/);
  });

  it("a background child the guest leaves is killed when the request's first process ends, as under sysgate run", () => {
    const t0 = Date.now();
    expect(sh1(`$RUN $BB sh -c 'sleep 30 & echo started'`)).toEqual({ stdout: "started\n", stderr: "", status: 0 });
    expect(Date.now() - t0).toBeLessThan(15_000);
    // the next request's process table has no trace of it
    expect(sh1(`$RUN $BB sh -c 'cat /proc/[0-9]*/comm'`).stdout).not.toMatch(/sleep/);
  });

  it("terminal settings a request makes are gone for the next one", () => {
    const tty = (line: string) => spawnSync("script", ["-qec", line, "/dev/null"], { encoding: "utf8", env: { ...envOne, RUN: RUN1 }, cwd: dir, timeout: 60_000 });
    const r = tty(`$RUN $BB stty -g; $RUN $BB sh -c 'stty raw -echo; stty -g'; $RUN $BB stty -g`);
    if (r.error || r.status !== 0) return void console.warn(`skipped: script(1) did not run: ${r.error?.message ?? r.stderr}`);
    const [before, set, after] = r.stdout.trim().split(/\r?\n/);
    expect(set).not.toBe(before);
    expect(after).toBe(before);
  });

  it("a program rebuilt in place between two requests runs its new code", () => {
    const prog = join(dir, "rebuilt");
    const src = readFileSync(join(ROOT, "samples", "bin", "x86_64", "exit-code"));
    writeFileSync(prog, src, { mode: 0o755 });
    // (each time old enough for its pages to be cached: a file changed a moment ago is not)
    expect(sh1(`sleep 0.2; $RUN ./rebuilt 12; $RUN ./rebuilt 12`).status).toBe(12);
    const b = Buffer.from(src);
    b[b.indexOf(Buffer.from([0x6b, 0xff, 0x0a])) + 2] = 0x10; // imul edi, edi, 10 -> 16
    writeFileSync(prog, b); // the same inode and size
    expect(sh1(`./rebuilt 12`, "").status).toBe(18);
    expect(sh1(`sleep 0.2; $RUN ./rebuilt 12`).status).toBe(18);
  });

  it("the server log says nothing went wrong inside", () => {
    expect(log).not.toMatch(/failed|internal error|Warning/);
  });
});
