// A machine: the run of one program and every process it starts. Each process has its own CPU
// engine and RAM with a booted kernel model on it (fork copies, execve replaces); the process
// table, the file system, the clocks and the hooks are shared. run() drives the processes until
// the first one exits (or a hook pauses the run); step() runs single instructions.

import { mkdtempSync, readFileSync, realpathSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, isAbsolute, join, relative } from "node:path";
import { STACK_TOP_32 } from "../kernel-model/boot/layout_32.js";
import { STACK_TOP_64 } from "../kernel-model/boot/layout_64.js";
import { E, Errno } from "../kernel-model/errno.js";
import { FilesStruct } from "../kernel-model/fs/files_struct.js";
import { FsStruct } from "../kernel-model/fs/fs_struct.js";
import { MemoryInputFile, MemoryOutputFile } from "../kernel-model/fs/memory_stdio.js";
import { StdioFile } from "../kernel-model/fs/stdio_file.js";
import { Vfs } from "../kernel-model/fs/vfs.js";
import { KernelState, type ProcessFactory } from "../kernel-model/kernel.js";
import { exitStateOf, type ExitState, type LinuxKernel } from "../kernel-model/linux.js";
import { LinuxI386 } from "../kernel-model/linux_i386.js";
import { LinuxX86_64 } from "../kernel-model/linux_x86_64.js";
import { KERNEL_RESERVE, PROT_READ, PROT_WRITE } from "../kernel-model/mm/mm_struct.js";
import { PAGE_SIZE, PhysMem } from "../kernel-model/mm/phys.js";
import { waitStatusKilled } from "../kernel-model/sched/exit.js";
import { Task, type Cred } from "../kernel-model/sched/task.js";
import type { Abi } from "../kernel-model/syscalls/types.js";
import { VdsoMapping } from "../kernel-model/vdso/vdso_mapping.js";
import { UC } from "./cpu/unicorn.js";
import { allocGuestRam, type GuestRam } from "./cpu/guest_ram.js";
import { X86Cpu } from "./cpu/x86_cpu.js";
import { loadElfImage, setupBrk } from "./loader/binfmt_elf.js";
import { AT, createElfTables } from "./loader/create_elf_tables.js";
import { ExecFormatError, checkElf, elfSymbols, parseElf, type ElfImage } from "./loader/elf.js";
import { hostName, hostStdioWasClosed, hostUmask } from "./host_process.js";
import type { HostSignals } from "./host_signals.js";

export interface MachineOptions {
  /** argv of the guest; argv[0] defaults to the path as given. */
  argv?: string[];
  /** Environment strings KEY=VALUE; defaults to sysgate's own environment. */
  env?: string[];
  /** The host directory that is the guest's "/" (read-write); default: host "/" read-only + cwd read-write. */
  root?: string;
  /** The working directory (host mode); default process.cwd(). */
  cwd?: string;
  /**
   * Virtual clock, seeded randomness, fixed pid/uid (DESIGN.md section 4). On by default: a test
   * of a hook should give the same answer every time. The command line turns it off unless
   * --deterministic or --seed is given.
   */
  deterministic?: boolean;
  seed?: bigint;
  /** Bound on each process's RAM in bytes (default 1 GiB): past it, allocations fail with ENOMEM. */
  memoryLimit?: number;
  /** Print one line per unimplemented syscall name (default true). */
  warnUnimplemented?: boolean;
  /** Map the vDSO and announce it in the auxv (default true). Without it, i386 libcs fall back to int $0x80. */
  vdso?: boolean;
  /** Where sysgate's own diagnostics go (default: stderr). */
  warn?: (message: string) => void;
  /** The guest's standard input: these bytes then end of file (default: sysgate's own stdin). */
  stdin?: Buffer | string;
  /** Keep the guest's stdout/stderr in memory (Machine.stdout / .stderr) instead of writing them out. */
  captureOutput?: boolean;
}

/** What run() ends with: the first process's end, or a pause a hook asked for. */
export type RunResult = (ExitState & { paused?: false }) | { paused: true };

export const DEFAULT_MEMORY_LIMIT = 1 << 30;
const STACK_SIZE = 8n << 20n;
/**
 * The longest a process runs without a syscall while others wait, in host microseconds (a
 * watchdog thread of Unicorn's stops it). Deterministic runs have no such limit: preemption there
 * happens only at syscall exits, by the virtual clock, so the interleaving is the same every time
 * (an instruction-counted run would do too, but Unicorn flushes its translations for each one,
 * measured 4x slower on a shell script).
 */
const TIME_SLICE_US = 20_000;
const IDLE = new Int32Array(new SharedArrayBuffer(4));

export class Machine implements ProcessFactory {
  readonly kstate: KernelState;
  /** The first process: its end is the run's end. */
  readonly task: Task;
  private readonly engines = new Map<LinuxKernel, X86Cpu>();
  private readonly rams = new Map<LinuxKernel, GuestRam>();
  private readonly images = new Map<LinuxKernel, ElfImage>();
  private readonly pcs = new Map<LinuxKernel, bigint>();
  private current: Task | undefined;
  private tmp: string | undefined;
  private output: readonly [MemoryOutputFile, MemoryOutputFile] | undefined;
  private finished: ExitState | undefined;
  /** Set by runWithHost (host_signals.ts): the loop hands back control for the host's signals and waits. */
  host: HostSignals | undefined;

  private constructor(kstate: KernelState, private readonly opts: MachineOptions, private readonly memoryLimit: number, task?: Task) {
    this.kstate = kstate;
    kstate.processes = this;
    this.task = task!;
  }

  /** Loads a static ELF program from a path, or from its bytes (then argv[0] defaults to its name). */
  static async create(program: string | { name: string; bytes: Uint8Array }, opts: MachineOptions = {}): Promise<Machine> {
    let tmp: string | undefined;
    let path: string;
    if (typeof program === "string") path = program;
    else {
      // The ELF needs a host file for /proc/self/exe: keep the bytes in a private temp dir.
      tmp = mkdtempSync(join(tmpdir(), "sysgate-"));
      path = join(tmp, basename(program.name));
      writeFileSync(path, program.bytes, { mode: 0o755 });
    }
    try {
      const m = await Machine.load(path, opts, typeof program === "string" ? program : program.name);
      m.tmp = tmp;
      return m;
    } catch (e) {
      if (tmp) rmSync(tmp, { recursive: true, force: true });
      throw e;
    }
  }

  private static async load(path: string, opts: MachineOptions, shownAs: string): Promise<Machine> {
    let bytes: Buffer;
    try {
      if (statSync(path).isDirectory()) throw new ExecFormatError(`${path}: is a directory`);
      bytes = readFileSync(path);
    } catch (e) {
      if (e instanceof ExecFormatError) throw e;
      const err = e as NodeJS.ErrnoException;
      throw new ExecFormatError(`${path}: cannot read: ${err.code === "ENOENT" ? "no such file" : err.code === "EACCES" ? "permission denied" : err.message}`);
    }
    const image = await parseElf(bytes, path);
    const memoryLimit = opts.memoryLimit ?? DEFAULT_MEMORY_LIMIT;
    if (!Number.isInteger(memoryLimit) || memoryLimit < 16 << 20) throw new ExecFormatError(`memory limit must be at least 16 MiB`);
    const deterministic = opts.deterministic ?? true;
    const warn = opts.warn ?? ((m: string) => process.stderr.write(m + "\n"));

    const hostExe = realpathSync(path);
    const guestExe = opts.root ? "/" + relative(realpathSync(opts.root), hostExe) : hostExe;
    if (opts.root && (guestExe.startsWith("/..") || isAbsolute(relative(realpathSync(opts.root), hostExe)))) {
      throw new ExecFormatError(`${path}: the program must be inside --root ${opts.root}`);
    }
    let kstate!: KernelState;
    const vfs = new Vfs({
      ...(opts.root ? { mode: "root" as const, root: opts.root } : { mode: "host" as const, cwd: opts.cwd ?? process.cwd() }),
      exe: { hostPath: hostExe, guestPath: guestExe },
      getRandomBytes: (b) => kstate.getRandomBytes(b),
    });
    const pid = deterministic ? 1000 : process.pid;
    kstate = new KernelState({
      vfs, deterministic, seed: opts.seed ?? 0n, machine: image.bits === 64 ? "x86_64" : "i686", warn, firstPid: pid,
      nodename: deterministic ? undefined : hostName(),
      warnUnimplemented: opts.warnUnimplemented ?? true,
    });
    const cred: Cred = deterministic
      ? { uid: 1000, gid: 1000, euid: 1000, egid: 1000, suid: 1000, sgid: 1000, fsuid: 1000, fsgid: 1000 }
      : (() => {
          const u = process.getuid?.() ?? 0, g = process.getgid?.() ?? 0;
          return { uid: u, gid: g, euid: u, egid: g, suid: u, sgid: g, fsuid: u, fsgid: g };
        })();
    const files = new FilesStruct();
    const stdin = opts.stdin === undefined ? StdioFile.forHostFd(0) : new MemoryInputFile(Buffer.from(opts.stdin));
    const out = opts.captureOutput ? [new MemoryOutputFile(), new MemoryOutputFile()] as const : undefined;
    // a shell's `prog <&-`: fd 0 stays closed, so a read fails with EBADF as it would natively
    if (opts.stdin !== undefined || deterministic || !hostStdioWasClosed(0)) files.installAt(0, stdin, false);
    files.installAt(1, out ? out[0] : StdioFile.forHostFd(1), false);
    files.installAt(2, out ? out[1] : StdioFile.forHostFd(2), false);

    const m = new Machine(kstate, opts, memoryLimit);
    const abi: Abi = image.bits === 64 ? "x86_64" : "i386";
    const linux = m.newMachine(abi);
    const task = new Task(kstate, abi, linux.newMm(), files, new FsStruct(vfs.initialCwd), cred,
      { pid, ppid: deterministic ? 1 : process.ppid }, basename(shownAs).slice(0, 15));
    task.exe = { hostPath: hostExe, guestPath: guestExe };
    if (!deterministic) task.umask = hostUmask(); // inherited, as by any child of the user's shell
    const argv = (opts.argv ?? [shownAs]).map((s) => Buffer.from(s));
    const env = (opts.env ?? Object.entries(process.env).map(([k, v]) => `${k}=${v}`)).map((s) => Buffer.from(s));
    m.loadInto(linux, task, image, argv, env, Buffer.from(shownAs), guestExe);
    kstate.sched.add(task);
    (m as { task: Task }).task = task;
    m.output = out;
    kstate.onTick = () => { for (const k of kstate.machines) k.vdso?.update(); };
    return m;
  }

  // ---- ProcessFactory: what fork and execve need from the emulator ----------------------------

  /** A fresh machine: RAM, a CPU engine, the kernel model booted on it. */
  newMachine(abi: Abi): LinuxKernel {
    const size = Math.ceil((this.memoryLimit + KERNEL_RESERVE) / PAGE_SIZE) * PAGE_SIZE;
    const ram = allocGuestRam(size);
    const phys = new PhysMem(size, undefined, ram.mem);
    const cpu = new X86Cpu(abi === "x86_64" ? 64 : 32, phys.mem);
    const linux = abi === "x86_64" ? new LinuxX86_64(cpu, phys, this.kstate) : new LinuxI386(cpu, phys, this.kstate);
    this.engines.set(linux, cpu);
    this.rams.set(linux, ram);
    return linux;
  }

  /** execve's loader: synchronous (a syscall is in progress); the symbols follow when elfinfo has read them. */
  exec(task: Task, file: { hostPath: string; guestPath: string }, argv: Buffer[], envp: Buffer[], execfn: Buffer): LinuxKernel {
    let bytes: Buffer;
    try {
      bytes = readFileSync(file.hostPath);
    } catch {
      throw new Errno(E.EACCES);
    }
    let image: ElfImage;
    try {
      image = checkElf(bytes, file.guestPath);
    } catch (e) {
      if (e instanceof ExecFormatError) throw new Errno(E.ENOEXEC, e.message);
      throw e;
    }
    const linux = this.newMachine(image.bits === 64 ? "x86_64" : "i386");
    const oldMm = task.mm;
    task.mm = linux.newMm();
    let bias: bigint;
    try {
      bias = this.loadInto(linux, task, image, argv, envp, execfn, file.guestPath);
    } catch (e) {
      task.mm = oldMm;
      this.retire(linux);
      throw e;
    }
    task.exe = file;
    elfSymbols(bytes, file.guestPath).then((syms) => {
      for (const s of syms) linux.symbols.add(s.name, bias + s.value, s.size);
      linux.symbolsLoaded();
    }, () => { /* no symbols: names are a convenience */ });
    return linux;
  }

  /** A machine no task uses any more: its engine is closed (the first process's is kept for inspection). */
  retire(machine: LinuxKernel): void {
    this.kstate.machines.delete(machine);
    if (machine === this.task.machine) return;
    this.engines.get(machine)?.close();
    this.engines.delete(machine);
    // the pages go back to the host now; the mapping itself lives until close(), so a late look
    // at a dead process's memory reads zeros instead of crashing sysgate
    this.rams.get(machine)?.discard();
    this.images.delete(machine);
    this.pcs.delete(machine);
  }

  /** load_elf_binary + create_elf_tables into `linux` for `task`. */
  private loadInto(linux: LinuxKernel, task: Task, image: ElfImage, argv: Buffer[], envp: Buffer[], execfn: Buffer, guestExe: string): bigint {
    const is64 = image.bits === 64;
    const mm = task.mm;
    const vdso = this.opts.vdso === false ? undefined : new VdsoMapping(mm, linux.abi, this.kstate);
    const loaded = loadElfImage(mm, image, guestExe);
    setupBrk(mm, loaded);
    const stackTop = is64 ? STACK_TOP_64 : STACK_TOP_32;
    mm.mapRegion(stackTop - STACK_SIZE, STACK_SIZE, PROT_READ | PROT_WRITE, "[stack]");
    const random = Buffer.alloc(16);
    this.kstate.getRandomBytes(random);
    const cred = task.cred;
    // ARCH_DLINFO first (arch/x86/include/asm/elf.h), then the generic entries of create_elf_tables.
    const archDlinfo: [number, bigint][] = [];
    if (vdso && !is64) archDlinfo.push([AT.AT_SYSINFO, vdso.sym("__kernel_vsyscall")]);
    if (vdso) archDlinfo.push([AT.AT_SYSINFO_EHDR, vdso.base]);
    archDlinfo.push([AT.AT_MINSIGSTKSZ, is64 ? 2048n : 1024n]);
    const tables = createElfTables(mm, {
      bits: image.bits, stackTop, argv, envp, execfn, platform: is64 ? "x86_64" : "i686", random,
      auxv: [
        ...archDlinfo,
        [AT.AT_HWCAP, 0x178bfbffn],
        [AT.AT_PAGESZ, BigInt(PAGE_SIZE)],
        [AT.AT_CLKTCK, 100n],
        [AT.AT_PHDR, loaded.phdr],
        [AT.AT_PHENT, BigInt(image.phentsize)],
        [AT.AT_PHNUM, BigInt(image.phnum)],
        [AT.AT_BASE, 0n],
        [AT.AT_FLAGS, 0n],
        [AT.AT_ENTRY, loaded.entry],
        [AT.AT_UID, BigInt(cred.uid)],
        [AT.AT_EUID, BigInt(cred.euid)],
        [AT.AT_GID, BigInt(cred.gid)],
        [AT.AT_EGID, BigInt(cred.egid)],
        [AT.AT_SECURE, 0n],
        [AT.AT_HWCAP2, 0n],
      ],
    });
    mm.arg = { start: tables.argvStart, end: tables.envEnd };
    mm.startStack = tables.sp;
    for (const sym of image.symbols) linux.symbols.add(sym.name, loaded.bias + sym.value, sym.size);
    this.images.set(linux, image);
    linux.exec(task, { ip: loaded.entry, sp: tables.sp }, vdso);
    linux.symbolsLoaded();
    return loaded.bias;
  }

  // ---- the first process's view (what a test or the UI inspects) -------------------------------

  /** The machine the first process runs on now. */
  get kernel(): LinuxX86_64 | LinuxI386 {
    return this.task.machine as LinuxX86_64 | LinuxI386;
  }
  get cpu(): X86Cpu {
    return this.engines.get(this.task.machine)!;
  }
  get image(): ElfImage {
    return this.images.get(this.task.machine)!;
  }
  get vdso(): VdsoMapping | undefined {
    return this.task.machine.vdso;
  }
  /** The hook registry of the interception points (see kernel-model/hooks.ts). */
  get hooks() {
    return this.kstate.hooks;
  }

  /** A hook on one syscall (by name or number) of the program's ABI: only that syscall pays for it. */
  onSyscall(nameOrNr: string | number, fn: Parameters<LinuxKernel["onSyscall"]>[1]): () => void {
    return this.kernel.onSyscall(nameOrNr, fn);
  }

  /** A hook on a function of the program, by ELF symbol (the LD_PRELOAD analogue). */
  onFunction(symbol: string, fn: Parameters<KernelState["hooks"]["on"]>[1]): () => void {
    this.kernel.watchFunction(symbol);
    return this.hooks.on("function", (e) => { if (e.symbol === symbol) (fn as (x: typeof e) => void)(e); });
  }

  /** What the guest wrote to fd 1 / fd 2 (with `captureOutput`). */
  get stdout(): Buffer {
    return this.output?.[0].contents() ?? Buffer.alloc(0);
  }
  get stderr(): Buffer {
    return this.output?.[1].contents() ?? Buffer.alloc(0);
  }

  /**
   * Runs the processes until the first one ends or a hook pauses the run (then run() again
   * continues). The host process never dies of what the guest does.
   */
  run(): RunResult {
    return this.drive(0);
  }

  /** Runs to the end, through any pauses. */
  runToEnd(): ExitState {
    for (;;) {
      const r = this.run();
      if (!r.paused) return r;
    }
  }

  /** Executes `count` instructions of the current process (a `syscall` counts as one: it lands on the entry stub). */
  step(count = 1): RunResult {
    return this.drive(count);
  }

  private rootEnded(): ExitState | undefined {
    const t = this.task;
    if (t.state !== "zombie" && t.state !== "dead") return undefined;
    this.finished ??= exitStateOf(t.exitStatus, t.machine.lastFault);
    return this.finished;
  }

  /** The scheduler loop: pick a process, run its CPU until it stops, see why. */
  private drive(count: number): RunResult {
    const sched = this.kstate.sched;
    for (;;) {
      const ended = this.rootEnded();
      if (ended) {
        this.endAll();
        return ended;
      }
      sched.fireTimers(this.kstate.monotonicNs());
      let t = this.current;
      if (!t || t.state !== "runnable") t = this.current = sched.pickNext();
      const deadline = sched.nextDeadline();
      if (!t && deadline !== undefined) {
        if (this.host) {
          this.host.sleep(deadline - this.kstate.monotonicNs()); // waited for where a host signal can end it
          return { paused: true };
        }
        this.idleUntil(deadline); // everyone sleeps, some until a deadline: the clock gets there
        continue;
      }
      if (!t && this.host?.canWake(sched)) {
        this.host.sleep(undefined); // only the outside world can wake someone now: wait for it
        return { paused: true };
      }
      if (!t) {
        // every process sleeps and nothing can wake them: say so and end the run
        this.kstate.warn("sysgate: deadlock: every process is waiting and nothing can wake one");
        this.task.machine.lastFault = "deadlock: every process waits";
        for (const x of sched.live()) if (x.state === "blocked") x.machine.exitTask(waitStatusKilled(9, false));
        continue;
      }
      if (sched.current !== t) sched.sliceStart = this.kstate.monotonicNs();
      sched.current = t;
      const m = t.machine;
      const cpu = this.engines.get(m)!;
      const pc = this.pcs.get(m) ?? m.entryPoint;
      // Preemption at syscall exits needs no limit here; the timeout only stops a process that
      // makes no syscalls while others wait or a timer is due.
      // With the host attached, a process alone on the CPU is stopped now and then too, so that
      // Node sees the host's signals (host_signals.ts).
      const timed = !count && !this.kstate.deterministic && (sched.runnableCount > 0 || deadline !== undefined || this.host !== undefined);
      // A machine's first run goes through its boot path, whose trap (boot_user_switch) the
      // watchdog of a timed run could make Unicorn pass over (a pending stop request skips code
      // hooks, ENGINE.md): that run is not timed and stops right after the trap instead.
      const boot = !this.pcs.has(m);
      m.stopAfterBoot = boot && timed;
      const rc = cpu.run(pc, count, timed && !boot ? TIME_SLICE_US : 0);
      if (m.done) {
        // exited, killed or exec'ed onto a new machine
        if (t.machine === m) this.current = undefined;
        this.retire(m);
        if (count) return { paused: true };
        continue;
      }
      const ip = cpu.get(m.cpu.bits === 64 ? "rip" : "eip");
      if (rc === UC.UC_ERR_INSN_INVALID) m.raise(6); // #UD, delivered through the IDT like the rest
      else if (rc !== UC.UC_ERR_OK) {
        m.lastFault = `${cpu.uc.strerror(rc)} at ip 0x${ip.toString(16)}`;
        m.exitTask(waitStatusKilled(11, false));
        this.current = undefined;
        this.retire(m);
        continue;
      }
      this.pcs.set(m, m.resume()); // an exception to deliver, a pause, a sleep or the end of a slice
      if (t.state !== "runnable") this.current = undefined;
      else if (sched.runnableCount > 0 && !count) {
        sched.requeue(t);
        this.current = undefined;
      }
      if (this.kstate.hooks.pauseRequested) {
        this.kstate.hooks.pauseRequested = false;
        return { paused: true };
      }
      if (count) return { paused: true }; // a step always ends after its instructions
      if (this.host?.due()) return { paused: true };
    }
  }

  /** The idle loop: the virtual clock jumps to the deadline; the host's is waited for. */
  private idleUntil(deadline: bigint): void {
    const wait = deadline - this.kstate.monotonicNs();
    if (wait <= 0n) return;
    if (this.kstate.deterministic) this.kstate.advance(wait);
    else Atomics.wait(IDLE, 0, 0, Math.max(1, Math.ceil(Number(wait) / 1e6)));
  }

  /** The first process ended: the run is over, the others are killed (sysgate has no init to adopt them). */
  private endAll(): void {
    for (const t of this.kstate.sched.live()) {
      if (t.machine.done) continue;
      t.machine.exitTask(waitStatusKilled(9, false));
      this.retire(t.machine);
    }
  }

  /** Where the first process continues on the next run()/step(): after a debugger restored its registers. */
  resumeAt(ip: bigint): void {
    this.pcs.set(this.task.machine, ip);
  }

  /** Guest memory at a user address (no permission checks: a debugger's view). */
  readMemory(addr: bigint, len: number): Buffer {
    return this.task.mm.peek(addr, len);
  }

  close(): void {
    for (const cpu of this.engines.values()) cpu.close();
    this.engines.clear();
    for (const ram of this.rams.values()) ram.unmap();
    this.rams.clear();
    if (this.tmp) rmSync(this.tmp, { recursive: true, force: true });
  }
}
