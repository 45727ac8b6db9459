// The sample programs run natively: their real behaviour on this kernel is the oracle that the
// emulator's own tests compare against. Every run listed in samples/expected.json is executed
// here, plus structural checks (ELF class, static linking) and the variable parts of auxv.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const SAMPLES = join(dirname(fileURLToPath(import.meta.url)), '..', 'samples');
const BIN = join(SAMPLES, 'bin');

interface ExpectedRun {
  bin: string;
  args: string[];
  stdout?: string;
  stdoutIncludes?: string[];
  status?: number;
  signal?: NodeJS.Signals;
  note?: string;
}
const expected = JSON.parse(readFileSync(join(SAMPLES, 'expected.json'), 'utf8')) as { runs: ExpectedRun[] };

// x86-64 Linux that can also run i386 binaries (IA32 emulation), as on these machines.
const native = process.platform === 'linux' && process.arch === 'x64';

function run(bin: string, args: string[] = [], env: NodeJS.ProcessEnv = process.env) {
  const path = join(BIN, bin);
  const r = spawnSync(path, args, { encoding: 'utf8', env, timeout: 20_000 });
  if (r.error) throw r.error;
  return { path, stdout: r.stdout, stderr: r.stderr, status: r.status, signal: r.signal };
}

const ALL_BINARIES = {
  x86_64: [
    'auxv', 'clock-read', 'clock-read-musl', 'exit-code', 'fault', 'fork-pipe-exec', 'getppid-loop', 'hello-glibc',
    'hello-musl', 'hello-static-pie', 'hello-syscall', 'segv-handler', 'vdso-gettimeofday',
  ],
  i386: [
    'auxv-32', 'clock-read-32', 'clock-read-musl-32', 'fork-pipe-exec-32', 'getppid-loop-int80', 'getppid-loop-sysenter',
    'hello-glibc-32', 'hello-int80', 'hello-musl-32', 'hello-vsyscall', 'segv-handler-32', 'vdso-gettimeofday-32',
  ],
};

describe('committed sample binaries', () => {
  it('are exactly the listed ones', () => {
    expect(readdirSync(join(BIN, 'x86_64')).sort()).toEqual(ALL_BINARIES.x86_64);
    expect(readdirSync(join(BIN, 'i386')).sort()).toEqual(ALL_BINARIES.i386);
  });

  const PT_INTERP = 3;
  for (const [arch, names] of Object.entries(ALL_BINARIES)) {
    for (const name of names) {
      it(`${arch}/${name} is a static ELF for ${arch} (no PT_INTERP)`, () => {
        const f = readFileSync(join(BIN, arch, name));
        expect(f.subarray(0, 4).toString('latin1')).toBe('\x7fELF');
        const is64 = arch === 'x86_64';
        expect(f[4]).toBe(is64 ? 2 : 1); // EI_CLASS
        expect(f.readUInt16LE(18)).toBe(is64 ? 62 : 3); // e_machine: EM_X86_64 / EM_386
        // static-pie is ET_DYN (relocates itself), the others ET_EXEC
        expect(f.readUInt16LE(16)).toBe(name === 'hello-static-pie' ? 3 : 2);
        const phoff = Number(is64 ? f.readBigUInt64LE(32) : f.readUInt32LE(28));
        const phentsize = f.readUInt16LE(is64 ? 54 : 42);
        const phnum = f.readUInt16LE(is64 ? 56 : 44);
        for (let i = 0; i < phnum; i++) expect(f.readUInt32LE(phoff + i * phentsize)).not.toBe(PT_INTERP);
      });
    }
  }

  it('every binary has a run in expected.json', () => {
    const covered = new Set(expected.runs.map((r) => r.bin));
    for (const [arch, names] of Object.entries(ALL_BINARIES))
      for (const name of names) expect(covered, `${arch}/${name}`).toContain(`${arch}/${name}`);
  });
});

describe.skipIf(!native)('samples run natively as samples/expected.json says', () => {
  for (const e of expected.runs) {
    it(`${e.bin} ${e.args.join(' ')}`.trim(), () => {
      const r = run(e.bin, e.args);
      if (e.stdout !== undefined) expect(r.stdout).toBe(e.stdout);
      for (const line of e.stdoutIncludes ?? []) expect(r.stdout.split('\n')).toContain(line);
      if (e.signal) {
        expect(r.signal).toBe(e.signal);
      } else {
        expect(r.signal).toBeNull();
        expect(r.status).toBe(e.status);
        expect(r.stderr).toBe('');
      }
    });
  }
});

describe.skipIf(!native)('samples: details beyond expected.json', () => {
  it('fault rejects an unknown fault with a usage line and status 2', () => {
    const r = run('x86_64/fault', ['bogus']);
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^usage: fault /);
  });

  it('getppid loops run their default count (1000000) and exit 0', () => {
    // the int $0x80 loop is left out: on this VM one int $0x80 costs ~6 us natively
    for (const bin of ['x86_64/getppid-loop', 'i386/getppid-loop-sysenter']) {
      const r = run(bin);
      expect([r.status, r.signal, r.stdout]).toEqual([0, null, '']);
    }
  });

  for (const [bin, is64] of [['x86_64/auxv', true], ['i386/auxv-32', false]] as const) {
    it(`${bin} prints argv, then the auxv entries matching the binary and the process`, () => {
      const r = run(bin, ['x'], { ...process.env });
      expect(r.status).toBe(0);
      const lines = r.stdout.trimEnd().split('\n');
      expect(lines.slice(0, 3)).toEqual(['argc 2', `argv[0] ${r.path}`, 'argv[1] x']);
      expect(lines.at(-1)).toBe('stack at _start 16-byte aligned: yes');

      const at = new Map<string, string>();
      for (const line of lines.slice(3, -1)) {
        const m = /^(AT_[A-Z0-9_]+|\d+) 0x([0-9a-f]+)(?: (.*))?$/.exec(line);
        expect(m, line).not.toBeNull();
        at.set(m![1], m![3] === undefined ? m![2] : `${m![2]} ${m![3]}`);
      }
      const val = (k: string) => BigInt('0x' + at.get(k)!.split(' ')[0]);
      const f = readFileSync(r.path);
      expect(val('AT_PAGESZ')).toBe(0x1000n);
      expect(val('AT_PHENT')).toBe(is64 ? 0x38n : 0x20n);
      expect(val('AT_PHNUM')).toBe(BigInt(f.readUInt16LE(is64 ? 56 : 44)));
      expect(val('AT_ENTRY')).toBe(is64 ? f.readBigUInt64LE(24) : BigInt(f.readUInt32LE(24)));
      expect(val('AT_BASE')).toBe(0n); // static: no interpreter
      expect(val('AT_CLKTCK')).toBe(100n);
      expect(val('AT_SECURE')).toBe(0n);
      expect(val('AT_UID')).toBe(BigInt(process.getuid!()));
      expect(at.get('AT_EXECFN')!.split(' ')[1]).toBe(JSON.stringify(r.path));
      expect(at.get('AT_PLATFORM')!.split(' ')[1]).toBe(is64 ? '"x86_64"' : '"i686"');
      expect(at.get('AT_RANDOM')).toMatch(/^[0-9a-f]+ [0-9a-f]{32}$/);
      expect(at.has('AT_SYSINFO_EHDR')).toBe(true);
      // i386 only: __kernel_vsyscall inside the vDSO's first pages
      if (!is64) {
        expect(val('AT_SYSINFO') > val('AT_SYSINFO_EHDR')).toBe(true);
        expect(val('AT_SYSINFO') - val('AT_SYSINFO_EHDR') < 0x2000n).toBe(true);
      } else {
        expect(at.has('AT_SYSINFO')).toBe(false);
      }
    });
  }
});

// Rebuilding takes a while and needs the Debian toolchain; run with SYSGATE_TEST_SAMPLES_BUILD=1.
describe.skipIf(!native || !process.env.SYSGATE_TEST_SAMPLES_BUILD)('samples/build.sh', () => {
  it('rebuilds byte-identical binaries', () => {
    expect(existsSync(join(SAMPLES, 'build.sh'))).toBe(true);
    const r = spawnSync('bash', [join(SAMPLES, 'build.sh'), '--check'], { encoding: 'utf8', timeout: 300_000 });
    expect(r.stderr).toContain('all binaries identical to the committed ones');
    expect(r.status).toBe(0);
  }, 300_000);
});
