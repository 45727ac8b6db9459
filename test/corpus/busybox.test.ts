// Real-world check: Debian's busybox-static, a program no one here wrote, must behave under sysgate
// exactly as it does natively. Each entry of busybox.txt runs twice in the same fresh fixture
// directory — natively, then with `$RUN` = sysgate — and the two stdouts and exit statuses must be
// equal (stderr is shown on failure but not compared: sysgate may add its own warnings there).
//
// The binaries come from test/corpus/fetch-busybox.sh (apt-get download, needs root the first
// time); when it cannot run, every test here is skipped and says why.
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureDist } from '../run/cli.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = join(HERE, '..', '..');
const CACHE = join(ROOT, '.cache', 'corpus');
const MAIN = join(ROOT, 'dist', 'emulator', 'cli', 'main.js');
const RUN = `${process.execPath} ${MAIN} run`;
const BIN = { 64: join(CACHE, 'amd64'), 32: join(CACHE, 'i386') } as const;
const NATIVE_TIMEOUT = 20;
const SYSGATE_TIMEOUT = 90;

interface Entry { name: string; bits: 64 | 32 | undefined; command: string }

/** busybox.txt: `@both NAME COMMAND` gives NAME.64 and NAME.32; `NAME COMMAND` runs as is. */
function parseList(text: string): Entry[] {
  const out: Entry[] = [];
  text.split('\n').forEach((line, i) => {
    if (/^\s*(#|$)/.test(line)) return;
    const both = /^@both\s+(\S+)\s+(.*)$/.exec(line);
    const plain = both ? null : /^(\S+)\s+(.*)$/.exec(line);
    const m = both ?? plain;
    if (!m || !/^[A-Za-z0-9._-]+$/.test(m[1])) throw new Error(`busybox.txt:${i + 1}: cannot parse: ${line}`);
    if (both) {
      out.push({ name: `${m[1]}.64`, bits: 64, command: m[2] });
      out.push({ name: `${m[1]}.32`, bits: 32, command: m[2] });
    } else {
      out.push({ name: m[1], bits: undefined, command: m[2] });
    }
  });
  return out;
}
const ENTRIES = parseList(readFileSync(join(HERE, 'busybox.txt'), 'utf8'));

/** The files the list expects in the cwd, all with mtime/atime 1700000000 (ls/stat print them). */
function makeFixtures(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(join(dir, 'dir', 'sub'), { recursive: true });
  const files: [string, string | Buffer][] = [
    ['words.txt', 'pear\napple\nfig\nbanana\napple\ncherry\n'],
    ['num.txt', Array.from({ length: 5000 }, (_, i) => `${i + 1}\n`).join('')],
    ['bytes.bin', Buffer.from(Array.from({ length: 256 }, (_, i) => i))],
    ['dir/a', 'a\n'],
    ['dir/b', 'bb\n'],
    ['dir/sub/c', 'ccc\n'],
    ['two.txt', 'line one\nline two\n'],
    ['two-b.txt', 'line one\nline 2\n'],
  ];
  for (const [name, data] of files) writeFileSync(join(dir, name), data);
  // directories last: creating their entries above changed their times
  for (const p of [...files.map(([n]) => n), 'dir/sub', 'dir', '.']) utimesSync(join(dir, p), 1700000000, 1700000000);
}

interface Result { status: number | null; signal: string | null; stdout: string; stderr: string }

/** `bash -c COMMAND` in cwd with the list's fixed environment, stdin from /dev/null. */
function runLine(command: string, cwd: string, run: string, b: string, seconds: number): Promise<Result> {
  return new Promise((resolve, reject) => {
    const child = spawn('timeout', ['-k', '5', String(seconds), 'bash', '-c', `export -n RUN B; ${command}`], {
      cwd,
      env: { PATH: '/usr/bin:/bin', LC_ALL: 'C', TZ: 'UTC', TERM: 'dumb', HOME: cwd, RUN: run, B: b },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => err.push(d));
    child.on('error', reject);
    child.on('close', (status, signal) =>
      resolve({ status, signal, stdout: Buffer.concat(out).toString('latin1'), stderr: Buffer.concat(err).toString('latin1') }));
  });
}

// Why tests cannot run, found in beforeAll (undefined = they can).
let unavailable: string | undefined = 'setup did not run';
let i386Unavailable: string | undefined = 'i386 guests not supported yet';
let work = '';

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'sysgate-corpus-'));
  const fetch = spawnSync('bash', [join(HERE, 'fetch-busybox.sh'), CACHE], { encoding: 'utf8', timeout: 540_000 });
  if (fetch.status !== 0) {
    const why = (fetch.stderr ?? '').trim().split('\n').filter(Boolean).pop() ?? fetch.error?.message ?? `exit ${fetch.status}`;
    unavailable = `busybox-static could not be fetched: ${why}`;
    console.warn(`busybox corpus skipped: ${unavailable}`);
    return;
  }
  ensureDist(); // built by the global setup; a test file building it would race the others
  unavailable = undefined;
  // The .32 entries switch on by themselves once sysgate runs an i386 busybox.
  const probe = spawnSync(process.execPath, [MAIN, 'run', join(BIN[32], 'busybox'), 'true'], {
    cwd: work, encoding: 'utf8', timeout: 60_000, stdio: ['ignore', 'pipe', 'pipe'],
  });
  if (probe.status === 0) i386Unavailable = undefined;
  else console.warn(`busybox .32 entries skipped: i386 guests not supported yet (probe: ${probe.stderr.trim().split('\n')[0]})`);
}, 600_000);

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('busybox-static corpus: sysgate output equals native', () => {
  for (const entry of ENTRIES) {
    it(entry.name, async (ctx) => {
      if (unavailable) ctx.skip(unavailable);
      if (entry.bits === 32 && i386Unavailable) ctx.skip(i386Unavailable);
      const b = entry.bits ? BIN[entry.bits] : '';
      // Same path both times, so programs that print their cwd agree.
      const cwd = join(work, entry.name);
      makeFixtures(cwd);
      const native = await runLine(entry.command, cwd, '', b, NATIVE_TIMEOUT);
      makeFixtures(cwd);
      const emulated = await runLine(entry.command, cwd, RUN, b, SYSGATE_TIMEOUT);
      rmSync(cwd, { recursive: true, force: true });
      const why = `${entry.command}\n--- sysgate stderr ---\n${emulated.stderr.slice(0, 4000)}\n--- native stderr ---\n${native.stderr.slice(0, 1000)}`;
      expect(native.status, `native run did not finish: ${why}`).not.toBe(124);
      expect(emulated.stdout, `stdout differs: ${why}`).toBe(native.stdout);
      expect(emulated.status, `exit status differs: ${why}`).toBe(native.status);
    }, (NATIVE_TIMEOUT + SYSGATE_TIMEOUT + 20) * 1000);
  }
});
