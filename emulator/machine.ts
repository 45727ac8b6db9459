// A machine: the run of one program and every process it starts. A booted kernel per ABI (the
// x86-64 one on a 64-bit CPU engine, the i386 one on a 32-bit engine), each made when a task
// first needs it, with one physical memory; every task of that ABI runs on that kernel's CPU, in
// its own address space. The process table, the file system, the clocks and the hooks are
// machine-wide. run() drives the processes until the first one exits (or a hook pauses the run);
// step() runs single instructions.

import { mkdtempSync, realpathSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, isAbsolute, join, relative, resolve } from "node:path";
import type { CpuVendor } from "../kernel-model/entry/syscall_compat.js";
import { E, Errno } from "../kernel-model/errno.js";
import { FilesStruct } from "../kernel-model/fs/files_struct.js";
import { FsStruct } from "../kernel-model/fs/fs_struct.js";
import type { File } from "../kernel-model/fs/file.js";
import { MemoryInputFile, MemoryOutputFile } from "../kernel-model/fs/memory_stdio.js";
import { StdioFile } from "../kernel-model/fs/stdio_file.js";
import { Vfs, type Bind } from "../kernel-model/fs/vfs.js";
import { KernelState, type ProcessFactory } from "../kernel-model/kernel.js";
import { nprocLimitFor } from "../kernel-model/limits.js";
import { RLIMIT_NPROC } from "../kernel-model/uapi/asm-generic/resource.js";
import { exitStateOf, type ExitState, type LinuxKernel } from "../kernel-model/linux.js";
import { LinuxI386 } from "../kernel-model/linux_i386.js";
import { LinuxX86_64 } from "../kernel-model/linux_x86_64.js";
import { MAX_PHYS_MEMORY, PAGE_SIZE, PhysMem } from "../kernel-model/mm/phys.js";
import type { PtRegs } from "../kernel-model/entry/pt_regs.js";
import type { MmStruct } from "../kernel-model/mm/mm_struct.js";
import { delayGroupLeader, waitStatusKilled } from "../kernel-model/sched/exit.js";
import { createInitTask, createParentStandIn, INIT_PID } from "../kernel-model/sched/init_task.js";
import { signalPending } from "../kernel-model/sched/signal.js";
import { Task, type Cred } from "../kernel-model/sched/task.js";
import type { Abi } from "../kernel-model/uapi/abi.js";
import type { VdsoMapping } from "../kernel-model/vdso/vdso_mapping.js";
import type { SymbolTable } from "../kernel-model/symbols.js";
import { UC } from "./cpu/unicorn.js";
import { hostName, hostParent, hostStdioWasClosed, hostUmask } from "./host_process.js";
import "./host_tty.js"; // the guest's terminals ask the host fd itself for their size
import type { HostSignals } from "./host_signals.js";
import { allocGuestRam, type GuestRam } from "./cpu/guest_ram.js";
import type { WarmKernels } from "./warm_kernels.js";
import { X86Cpu } from "./cpu/x86_cpu.js";
import { loadElfBinary, type ExecEnv, type LoadedProgram } from "./loader/binfmt_elf.js";
import { ExecFormatError, checkElf, elfSymbols, parseElf, readElfFile, type ElfFile, type ElfImage } from "./loader/elf.js";
import { SIGKILL, SIGSEGV } from "../kernel-model/uapi/asm/signal.js";

export interface MachineOptions {
  /** argv of the guest; argv[0] defaults to the path as given. */
  argv?: string[];
  /** Environment strings KEY=VALUE; defaults to sysgate's own environment. */
  env?: string[];
  /**
   * The host directory that is the guest's "/" (read-write); default: the host's "/" under a
   * per-run scratch overlay (the host is only read), and cwd read-write.
   */
  root?: string;
  /**
   * The program's path as the guest would have named it in execve (AT_EXECFN): by default the
   * path as given, or under `root` its path inside the root.
   */
  execfn?: string;
  /** More host paths granted to the guest (`--bind HOST:GUEST[:ro]`). */
  binds?: Bind[];
  /** The working directory (host mode); default process.cwd(). */
  cwd?: string;
  /**
   * Virtual clock, seeded randomness, fixed pid/uid (ARCHITECTURE.md, "Determinism"). On by default: a test
   * of a hook should give the same answer every time. The command line turns it off unless
   * --deterministic or --seed is given.
   */
  deterministic?: boolean;
  seed?: bigint;
  /** Bound on each process's committed memory in bytes (default 1 GiB): past it, allocations fail with ENOMEM. */
  memoryLimit?: number;
  /**
   * Physical memory of each kernel in bytes (default 2 GiB, at most 4 GiB), reserved from the host
   * without committing it: pages cost host memory once the guest uses them. The machine-wide
   * bound: when frames run out, the allocating process gets ENOMEM or the OOM killer's SIGKILL.
   */
  physMemory?: number;
  /** Processes at once (default DEFAULT_MAX_PROCS): fork past it gets EAGAIN; RLIMIT_NPROC starts at half. */
  maxProcs?: number;
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
  /**
   * The guest's fds 0, 1, 2 as given (undefined: that fd starts closed), instead of sysgate's own
   * (`sysgate serve` passes its client's). Takes precedence over `stdin` and `captureOutput`.
   */
  stdio?: readonly [File | undefined, File | undefined, File | undefined];
  /**
   * The host process the first guest process stands for when the run is not deterministic: its
   * pid, parent pid and umask (default sysgate's own; `sysgate serve` gives its client's).
   */
  hostProcess?: { pid: number; ppid: number; umask: number };
  /**
   * The kernel 32-bit programs run on: "x86_64" (default) runs them in compatibility mode under the
   * 64-bit kernel (IA32 emulation, as every x86-64 Linux does), on the same CPU as the 64-bit
   * programs; "i386" boots the native 32-bit kernel for them (which cannot run 64-bit programs).
   */
  kernel?: "x86_64" | "i386";
  /**
   * The CPU vendor (default "intel", as the machines sysgate is measured on): under the x86-64
   * kernel a 32-bit program's fast syscall is SYSENTER on Intel and SYSCALL on AMD, the other one
   * being #UD, and the compat vDSO's __kernel_vsyscall is patched to match.
   */
  cpu?: CpuVendor;
  /**
   * Booted kernels to take instead of booting one, and to give back when the run is over
   * (`sysgate serve`'s runners: emulator/warm_kernels.ts). A run with hooks gives nothing back.
   */
  warm?: WarmKernels;
  /**
   * A stop-request buffer another thread sets to stop the running guest (emulator/cpu/
   * stop_request.ts: `sysgate serve`'s main thread, for a SIGKILL a spinning guest never looks
   * for); every engine of the run takes it from the start.
   */
  stopRequest?: SharedArrayBuffer;
}

/** What run() ends with: the first process's end, or a pause a hook asked for. */
export type RunResult = (ExitState & { paused?: false }) | { paused: true };

export const DEFAULT_MEMORY_LIMIT = 1 << 30;
export const DEFAULT_PHYS_MEMORY = 2 ** 31;
export { MAX_PHYS_MEMORY };
/**
 * Time slices by block count (the scheduler tick of this model, stop_request.ts's block budget).
 * While another thread of the running task's process waits for the CPU or sleeps until a
 * deadline, a run ends before the this-many-th block it executes: a thread that spins without
 * entering the kernel cannot starve one that holds a lock, and the count makes the same
 * interleaving every time. A deterministic run slices everything so (it has no host clock to
 * bound a run by), and a used-up slice moves its virtual clock. The budget costs the block hook
 * and two instructions per block (a loop with a sleeping second thread ran 1.2x the loop alone,
 * where Unicorn's own instruction count, the fallback without that hook, ran it 5x).
 */
const SLICE_BLOCKS = 250_000;
/** What a used-up slice moves the virtual clock by: 4 ns a block. */
const SLICE_VIRTUAL_NS = 1_000_000n;
/** The fallback's slice, by instruction count (X86Cpu.blockSlicing false). */
const SLICE_INSNS = 1_000_000;
/**
 * The longest a process runs without a syscall while other processes wait for the CPU, in host
 * microseconds (host-clock runs only): the scheduler tick. While nobody waits for the CPU but a
 * timer is due, the run lasts until that deadline instead (no shorter than MIN_TIMED_RUN_US).
 * The timer asks for the stop through the engine's stop-request word
 * (emulator/cpu/stop_request.ts), which stops at a block's start on the engine's thread, a point
 * the task resumes from intact. Threads of one process get counted slices anyway (above).
 */
const TIME_SLICE_US = 10_000;
const MIN_TIMED_RUN_US = 100;

const IDLE = new Int32Array(new SharedArrayBuffer(4));

export class Machine implements ProcessFactory {
  readonly kstate: KernelState;
  /** The first process: its end is the run's end. */
  readonly task: Task;
  private readonly kernels = new Map<Abi, LinuxKernel>();
  private readonly engines = new Map<LinuxKernel, X86Cpu>();
  private readonly rams = new Map<LinuxKernel, GuestRam>();
  /** The ELF image the first task runs now. */
  private readonly images = new Map<Task, ElfImage>();
  /** Symbol tables by program file, load bias and vDSO place. */
  private readonly symbolTables = new Map<string, SymbolTable>();
  private current: Task | undefined;
  private tmp: string | undefined;
  private output: readonly [MemoryOutputFile, MemoryOutputFile] | undefined;
  private finished: ExitState | undefined;
  /** Set by runWithHost (host_signals.ts): the loop hands back control for the host's signals and waits. */
  host: HostSignals | undefined;

  private constructor(kstate: KernelState, private readonly opts: MachineOptions, private readonly physMemory: number, task?: Task) {
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
    // a relative program path is relative to the run's working directory
    const at = (p: string) => (opts.root || opts.cwd === undefined ? p : resolve(opts.cwd, p));
    const file = readElfFile(at(path), path);
    const image = parseElf(file.bytes, path);
    if (opts.kernel === "i386" && image.bits === 64) throw new ExecFormatError(`${path}: a 64-bit program needs the x86-64 kernel (--kernel i386 runs i386 programs only)`);
    const memoryLimit = opts.memoryLimit ?? DEFAULT_MEMORY_LIMIT;
    if (!Number.isInteger(memoryLimit) || memoryLimit < 16 << 20) throw new ExecFormatError(`memory limit must be at least 16 MiB`);
    const physMemory = opts.physMemory ?? DEFAULT_PHYS_MEMORY;
    if (!Number.isInteger(physMemory) || physMemory < 16 << 20 || physMemory > MAX_PHYS_MEMORY) {
      throw new ExecFormatError(`physical memory must be between 16 MiB and ${MAX_PHYS_MEMORY / 2 ** 30} GiB`);
    }
    const deterministic = opts.deterministic ?? true;
    const warn = opts.warn ?? ((m: string) => process.stderr.write(m + "\n"));

    const hostExe = realpathSync(at(path));
    const guestExe = opts.root ? "/" + relative(realpathSync(opts.root), hostExe) : hostExe;
    if (opts.root && (guestExe.startsWith("/..") || isAbsolute(relative(realpathSync(opts.root), hostExe)))) {
      throw new ExecFormatError(`${path}: the program must be inside --root ${opts.root}`);
    }
    let kstate!: KernelState;
    const vfs = new Vfs({
      ...(opts.root ? { mode: "root" as const, root: opts.root } : { mode: "host" as const, cwd: opts.cwd ?? process.cwd() }),
      getRandomBytes: (b) => kstate.getRandomBytes(b),
      binds: opts.binds,
    });
    // the first process keeps sysgate's own pid (1000 on the virtual clock); pid 1 is the run's
    // init (README "pid 1"), so a sysgate that is itself a container's pid 1 gives it the next one
    const host = opts.hostProcess ?? { pid: process.pid, ppid: process.ppid, umask: undefined };
    const pid = deterministic ? 1000 : host.pid === INIT_PID ? INIT_PID + 1 : host.pid;
    kstate = new KernelState({
      vfs, deterministic, seed: opts.seed ?? 0n, machine: opts.kernel === "i386" ? "i686" : "x86_64", warn, firstPid: pid,
      warnUnimplemented: opts.warnUnimplemented ?? true, memoryLimit, maxThreads: opts.maxProcs,
      nodename: deterministic ? undefined : hostName(),
    });
    const cred: Cred = deterministic
      ? { uid: 1000, gid: 1000, euid: 1000, egid: 1000, suid: 1000, sgid: 1000, fsuid: 1000, fsgid: 1000 }
      : (() => {
          const u = process.getuid?.() ?? 0, g = process.getgid?.() ?? 0;
          return { uid: u, gid: g, euid: u, egid: g, suid: u, sgid: g, fsuid: u, fsgid: g };
        })();
    const files = new FilesStruct();
    const out = opts.captureOutput ? [new MemoryOutputFile(), new MemoryOutputFile()] as const : undefined;
    if (opts.stdio) opts.stdio.forEach((f, fd) => { if (f) files.installAt(fd, f, false); });
    else {
      const stdin = opts.stdin === undefined ? StdioFile.forHostFd(0) : new MemoryInputFile(Buffer.from(opts.stdin));
      // a shell's `prog <&-`: fd 0 stays closed, so a read fails with EBADF as it would natively
      if (opts.stdin !== undefined || deterministic || !hostStdioWasClosed(0)) files.installAt(0, stdin, false);
      files.installAt(1, out ? out[0] : StdioFile.forHostFd(1), false);
      files.installAt(2, out ? out[1] : StdioFile.forHostFd(2), false);
    }

    const m = new Machine(kstate, opts, Math.floor(physMemory / PAGE_SIZE) * PAGE_SIZE);
    const onFirst = kstate.hooks.onFirst;
    kstate.hooks.onFirst = (point) => {
      m.hooked = true;
      onFirst(point);
    };
    const abi: Abi = image.bits === 64 ? "x86_64" : "i386";
    let linux: LinuxKernel, task: Task, loaded: LoadedProgram;
    try {
      linux = m.kernelFor(abi);
      const standInMm = () => {
        const mm = linux.newMm(abi);
        m.standInMms.set(mm, linux);
        return mm;
      };
      kstate.sched.setInit(createInitTask(kstate, abi, standInMm()));
      // its parent: the process that started sysgate, a stand-in as init is (README "pid 1")
      const parent = deterministic ? undefined : hostParent(host.ppid);
      if (parent) kstate.sched.addStandIn(createParentStandIn(kstate, abi, standInMm(), parent, cred));
      task = new Task(kstate, abi, linux.newMm(abi), files, new FsStruct(vfs.initialCwd), cred,
        { pid, ppid: deterministic ? INIT_PID : host.ppid }, basename(shownAs).slice(0, 15));
      task.exe = { hostPath: hostExe, guestPath: guestExe };
      if (!deterministic) task.umask = host.umask ?? hostUmask(); // inherited, as by any child of the user's shell
      const nproc = nprocLimitFor(kstate.maxThreads);
      task.rlimits.set(RLIMIT_NPROC, [nproc, nproc]);
      const argv = (opts.argv ?? [shownAs]).map((s) => Buffer.from(s));
      const env = (opts.env ?? Object.entries(process.env).map(([k, v]) => `${k}=${v}`)).map((s) => Buffer.from(s));
      const execfn = Buffer.from(opts.execfn ?? (opts.root ? guestExe : shownAs));
      loaded = loadElfBinary(m.execEnv(abi), linux, task.mm, task, { image, fileKey: file.key, hostExe, guestExe, argv, envp: env, execfn });
    } catch (e) {
      // (a kernel taken warm goes back when the program's address space is put again)
      if (task!) linux!.mmput(task.mm);
      m.close();
      throw e;
    }
    linux.startTask(task, { ip: loaded.ip, sp: loaded.sp }, loaded.vdso);
    linux.symbolsLoaded();
    m.images.set(task, image);
    kstate.sched.add(task);
    (m as { task: Task }).task = task;
    m.output = out;
    kstate.onTick = (now) => { for (const k of kstate.machines) k.vdso?.update(false, now); };
    return m;
  }

  // ---- ProcessFactory: what fork and execve need from the emulator ----------------------------

  /** The native i386 kernel runs this ABI's tasks (--kernel i386), rather than the x86-64 one. */
  private nativeI386(abi: Abi): boolean {
    return abi === "i386" && this.opts.kernel === "i386";
  }

  /**
   * The kernel that runs tasks of an ABI: physical memory, a CPU engine and the kernel model booted
   * on it, made on first use. 32-bit tasks get the x86-64 kernel (compatibility mode) unless
   * --kernel i386.
   */
  kernelFor(abi: Abi): LinuxKernel {
    const kabi: Abi = this.nativeI386(abi) ? "i386" : "x86_64";
    let linux = this.kernels.get(kabi);
    if (linux) return linux;
    let cpu: X86Cpu, ram: GuestRam;
    const kept = this.opts.warm?.take(this.warmKind(kabi));
    if (kept) {
      this.warmKernels++;
      ({ linux, cpu, ram } = kept);
      linux.adopt(this.kstate);
    } else {
      ram = allocGuestRam(this.physMemory);
      const phys = new PhysMem(this.physMemory, undefined, ram.mem);
      cpu = new X86Cpu(kabi === "x86_64" ? 64 : 32, phys.mem);
      linux = kabi === "x86_64" ? new LinuxX86_64(cpu, phys, this.kstate, this.opts.cpu ?? "intel") : new LinuxI386(cpu, phys, this.kstate);
    }
    this.kernels.set(kabi, linux);
    this.engines.set(linux, cpu);
    this.rams.set(linux, ram);
    if (this.opts.stopRequest) cpu.stopRequest(this.opts.stopRequest);
    return linux;
  }

  /** What a kept kernel must match to serve this run: its ABI, the CPU's vendor, the size of its memory. */
  private warmKind(kabi: Abi): string {
    return `${kabi}:${kabi === "x86_64" ? this.opts.cpu ?? "intel" : ""}:${this.physMemory}`;
  }

  /** execve's loader: synchronous (a syscall is in progress). */
  exec(task: Task, file: { hostPath: string; guestPath: string }, argv: Buffer[], envp: Buffer[], execfn: Buffer, regs: PtRegs): void {
    let elf: ElfFile;
    let image: ElfImage;
    try {
      elf = readElfFile(file.hostPath, file.guestPath);
      image = checkElf(elf.bytes, file.guestPath);
    } catch (e) {
      if (e instanceof ExecFormatError) throw new Errno(e.errno, e.message);
      throw e;
    }
    const abi: Abi = image.bits === 64 ? "x86_64" : "i386";
    if (abi === "x86_64" && this.opts.kernel === "i386") throw new Errno(E.ENOEXEC, `${file.guestPath}: a 64-bit program on the i386 kernel`);
    const old = task.machine;
    const linux = this.kernelFor(abi);
    const mm = linux.newMm(abi);
    let loaded: LoadedProgram;
    try {
      loaded = loadElfBinary(this.execEnv(abi), linux, mm, task, { image, fileKey: elf.key, hostExe: file.hostPath, guestExe: file.guestPath, argv, envp, execfn });
    } catch (e) {
      linux.mmput(mm);
      throw e instanceof ExecFormatError ? new Errno(e.errno, e.message) : e;
    }
    // past the point of no return
    task.exe = file;
    if (task === this.task) this.images.set(task, image); // (an image holds the whole file)
    if (linux === old) {
      // the same CPU, maybe another mode: a 64-bit program exec'ing a 32-bit one stays on the
      // x86-64 kernel and returns to compatibility mode (start_thread chooses CS by the ABI)
      task.abi = abi;
      linux.execMm(regs, mm, { ip: loaded.ip, sp: loaded.sp }, loaded.vdso);
    } else {
      // the other ABI: the task moves to that kernel's CPU and starts there as a new program
      const oldMm = task.mm;
      task.mm = mm;
      task.abi = abi;
      task.tls.clear();
      old.leave(task, oldMm);
      linux.startTask(task, { ip: loaded.ip, sp: loaded.sp }, loaded.vdso);
    }
    if (loaded.newSymbols) for (const s of elfSymbols(elf.bytes)) mm.symbols.add(s.name, loaded.bias + s.value, s.size);
    linux.symbolsLoaded();
  }

  /** What load_elf_binary (loader/binfmt_elf.ts) follows of this run's choices, for a program of `abi`. */
  private execEnv(abi: Abi): ExecEnv {
    return { kstate: this.kstate, nativeI386: this.nativeI386(abi), cpu: this.opts.cpu ?? "intel", vdso: this.opts.vdso !== false,
      symbolTables: this.symbolTables };
  }

  // ---- the first process's view (what a test or the UI inspects) -------------------------------

  /** The kernel the first process runs on now. */
  get kernel(): LinuxX86_64 | LinuxI386 {
    return this.task.machine as LinuxX86_64 | LinuxI386;
  }
  get cpu(): X86Cpu {
    return this.engines.get(this.task.machine)!;
  }
  get image(): ElfImage {
    return this.images.get(this.task)!;
  }
  get vdso(): VdsoMapping | undefined {
    return this.task.vdso;
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
    if (delayGroupLeader(t)) return undefined; // its main thread ended (pthread_exit); the process lives on in the others
    this.finished ??= exitStateOf(t.exitStatus, t.lastFault);
    return this.finished;
  }

  /** The scheduler loop: pick a task, switch the CPU of its kernel to it, run it until it stops, see why. */
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
        // what each sleeper waits in, as a hung-task report would show it
        const states = sched.live().filter((x) => x.state === "blocked")
          .map((x) => `\n  tid ${x.pid} of process ${x.tgid} (${x.comm}): sleeping in ${x.waitingIn ?? "a wait"}`);
        this.kstate.warn(`sysgate: deadlock: every process is waiting and nothing can wake one:${states.join("")}`);
        this.task.lastFault = "deadlock: every process waits";
        for (const x of sched.live()) if (x.state === "blocked") x.machine.exitTask(waitStatusKilled(SIGKILL, false), x);
        continue;
      }
      if (sched.current !== t) {
        sched.sliceStart = this.kstate.monotonicNs();
        sched.needResched = false;
      }
      sched.current = t;
      const k = t.machine;
      const cpu = this.engines.get(k)!;
      k.switchTo(t); // context_switch, when another task had this CPU
      const kicked = k.kick_process(t); // a signal for a task stopped in user mode
      if (kicked !== undefined) t.thread.pc = kicked;
      // a signal waits for a task stopped in the kernel past its exit-to-user-mode check: a short
      // run brings it back here in user mode, where kick_process reaches it
      const signalWaits = kicked === undefined && signalPending(t);
      k.flushPendingCode();
      k.beginRun();
      // Others wait for the CPU (or the host, with a signal a guest handler catches): a time limit
      // stops a process that never enters the kernel; threads of one process get block-counted
      // slices instead (SLICE_BLOCKS), and so does every run of a deterministic machine, whose
      // clock moves with the slices (a program that waits for the clock to move never enters the
      // kernel to read it: the vDSO).
      const othersWait = !count && (sched.runnableCount > 0 || deadline !== undefined || signalWaits || this.host?.catching === true);
      const counted = !count && (this.kstate.deterministic || sched.sliceNeeded(t) || (othersWait && !cpu.timeSlicing));
      const blocks = counted && cpu.blockSlicing ? SLICE_BLOCKS : 0;
      const limit = count || (counted && !blocks ? SLICE_INSNS : 0);
      const timed = othersWait && !counted;
      sched.unlimitedRun = !count && !counted;
      sched.untimedRun = sched.unlimitedRun && !timed;
      const rc = cpu.run(t.thread.pc, limit, timed ? this.timeLimitUs(signalWaits, deadline) : 0, blocks);
      sched.unlimitedRun = sched.untimedRun = false;
      const rebound = sched.rebound; // the run ended only to be bounded: the task keeps the CPU
      sched.rebound = false;
      if (!k.settle(t)) {
        // exited, killed, or exec'ed onto the other kernel
        if (t.state !== "runnable") this.current = undefined;
        if (count) return { paused: true };
        continue;
      }
      const ip = cpu.get(k.cpu.bits === 64 ? "rip" : "eip");
      if (rc === UC.UC_ERR_INSN_INVALID) k.raise(6); // #UD, delivered through the IDT like the rest
      else if (rc !== UC.UC_ERR_OK) {
        t.lastFault = `${cpu.uc.strerror(rc)} at ip 0x${ip.toString(16)}`;
        k.exitTask(waitStatusKilled(SIGSEGV, false));
        k.settle(t);
        this.current = undefined;
        continue;
      }
      if (counted && rc === UC.UC_ERR_OK && (blocks ? cpu.budgetSpent : !k.stoppedByKernel)) {
        // the slice is used up: scheduler_tick's resched_curr (and a deterministic clock moves with it)
        if (this.kstate.deterministic) this.kstate.advance(SLICE_VIRTUAL_NS);
        sched.needResched = true;
      }
      t.thread.pc = k.resume(); // an exception to deliver, a pause, a sleep or the end of a slice
      if (t.state !== "runnable") this.current = undefined;
      else if (sched.runnableCount > 0 && !count && k.preemptible && !rebound) {
        sched.requeue(t);
        this.current = undefined;
      }
      if (this.kstate.hooks.pauseRequested) {
        this.kstate.hooks.pauseRequested = false;
        return { paused: true };
      }
      if (count) return { paused: true }; // a step always ends after its instructions
      if (this.host && ((this.host.ownSignals && sched.handlersChanged) || this.host.due())) return { paused: true };
    }
  }

  /**
   * The host time a timed run may take (us): a tick while others wait for the CPU, until the next
   * timer when only a sleeper waits, a moment when a signal waits for a task in the kernel.
   */
  private timeLimitUs(signalWaits: boolean, deadline: bigint | undefined): number {
    if (signalWaits) return MIN_TIMED_RUN_US;
    if (this.kstate.sched.runnableCount > 0 || deadline === undefined) return TIME_SLICE_US;
    return Math.min(TIME_SLICE_US, Math.max(MIN_TIMED_RUN_US, Math.ceil(Number(deadline - this.kstate.monotonicNs()) / 1000)));
  }

  /** The idle loop: the virtual clock jumps to the deadline; the host's is waited for. */
  private idleUntil(deadline: bigint): void {
    const wait = deadline - this.kstate.monotonicNs();
    if (wait <= 0n) return;
    if (this.kstate.deterministic) this.kstate.advance(wait);
    else Atomics.wait(IDLE, 0, 0, Math.max(1, Math.ceil(Number(wait) / 1e6)));
  }

  /**
   * The first process ended: the run is over and the others are killed (README "pid 1"): they live
   * in sysgate's memory and cannot outlive it, and the shell that started sysgate waits for it.
   */
  private endAll(): void {
    for (const t of this.kstate.sched.live()) t.machine.exitTask(waitStatusKilled(SIGKILL, false), t);
  }

  /**
   * After the run, before its kernels serve another (warm kernels): each CPU lets go of the task it
   * ran last (finish_task_switch), and the address spaces of init and the parent's stand-in, which
   * never ran, are put. True when every task of the run has ended and given back its kernel stack
   * and address space, and no hook was ever set (hook traps stay in a kernel's CPU).
   */
  private quiesce(): boolean {
    for (const k of this.kernels.values()) if (k.current) k.settle(k.current);
    let clean = !this.hooked && this.kstate.watchedFunctions.size === 0;
    for (const t of this.kstate.sched.tasks.values()) {
      if (!t.thread) {
        if (!this.standInMms.has(t.mm)) clean = false;
      } else if (!t.thread.released) clean = false;
    }
    for (const [mm, k] of this.standInMms) k.mmput(mm);
    this.standInMms.clear();
    for (const k of this.kernels.values()) if (k.current) clean = false;
    return clean;
  }

  /** How many of this run's kernels were taken warm (MachineOptions.warm) rather than booted. */
  warmKernels = 0;

  /** The address spaces of the tasks that stand for init and the parent (they never run). */
  private readonly standInMms = new Map<MmStruct, LinuxKernel>();
  /** A hook point was used (its traps were installed in the CPU). */
  private hooked = false;

  /** The task the run loop continues with, if it holds one (a debugger's step back records it). */
  get continuing(): Task | undefined {
    return this.current;
  }

  /**
   * Makes `task` the one the run loop continues with (a debugger steps the task it shows, or puts
   * back the one it recorded). The run queue is the caller's to keep right.
   */
  continueWith(task: Task | undefined): void {
    this.current = task;
  }

  /** Where the first process continues on the next run()/step(): after a debugger restored its registers. */
  resumeAt(ip: bigint): void {
    this.task.thread.pc = ip;
  }

  /** Guest memory at a user address (no permission checks: a debugger's view). */
  readMemory(addr: bigint, len: number): Buffer {
    return this.task.mm.peek(addr, len);
  }

  close(): void {
    const warm = this.opts.warm;
    const reusable = warm !== undefined && this.quiesce();
    for (const [kabi, linux] of this.kernels) {
      const cpu = this.engines.get(linux)!, ram = this.rams.get(linux)!;
      if (reusable) warm.keep(this.warmKind(kabi), { linux, cpu, ram });
      else {
        cpu.close();
        ram.unmap();
      }
    }
    this.kernels.clear();
    this.engines.clear();
    this.rams.clear();
    if (this.tmp) rmSync(this.tmp, { recursive: true, force: true });
    this.kstate.vfs.dispose(); // the run's scratch layer
  }
}
