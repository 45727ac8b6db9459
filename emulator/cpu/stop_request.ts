// Stopping a running engine from another thread, safely.
//
// uc_emu_stop called from another thread (a timer, Unicorn's timeout watchdog, a server's main
// thread) is not safe to resume from: Unicorn's translated code checks the exit request after
// every guest memory access as well as at the start of each block, and on such a mid-block exit
// it sets RIP back to the block's start while the registers already hold what the block's first
// instructions did, so the resumed task runs them twice (ENGINE.md has the measurement). A stop
// made on the engine's own thread at a block's start is exact: that is what this module makes.
// The block's address is kept too: Unicorn moves RIP to that block only while no code hook
// exists (ENGINE.md), so X86Cpu.run() writes it to RIP itself after such a stop.
//
// Each engine gets a stop-request word in shared memory and a UC_HOOK_BLOCK callback that is a few
// machine instructions, not JavaScript (a call into JS costs ~0.3 us; this costs a few ns per
// translated block): at every block's start it reads the word and, if it is set, clears it, keeps
// the block's address and calls uc_emu_stop, on the engine's thread, before the block's first
// instruction. Any thread may set the word: a JS thread with requestStop() (the serve main
// thread, gdb's connection worker), or the C library's timer thread through `stop_request_timer`
// (the watchdog, watchdog.ts).
//
// The same callback keeps a block budget: a time slice the engine counts itself, which comes out
// the same on every run (deterministic runs) and costs two more instructions per block, where
// Unicorn's own instruction count calls a helper before every instruction (machine.ts has the
// numbers). A budget of 0 is none: the first block takes it below zero, where it stays.
//
// The two functions, x86-64 System V, from this assembly (test/cpu/stop_request.test.ts
// disassembles the bytes and compares):
//
//   stop_request_check:          ; (uc_engine *uc, uint64_t address, uint32_t size, word *user)
//       cmp  dword [rcx], 0      ; a request?
//       jne  .stop
//       sub  qword [rcx + 24], 1 ; one block of the budget
//       jz   .spent
//       ret
//   .stop:
//       mov  dword [rcx], 0      ; taken
//   .spent:
//       mov  [rcx + 16], rsi     ; where to resume: this block's first instruction
//       jmp  [rcx + 8]           ; uc_emu_stop(uc): the word's neighbour holds its address
//   align 16
//   stop_request_timer:          ; (union sigval v): SIGEV_THREAD's notification function
//       lock or dword [rdi], 1   ; TIMER_BIT
//       ret

import koffi from "koffi";
import { MAP_ANONYMOUS, PROT_EXEC, PROT_READ, PROT_WRITE } from "../../kernel-model/uapi/asm-generic/mman-common.js";
import { MAP_PRIVATE } from "../../kernel-model/uapi/linux/mman.js";
import { hostLibc, RTLD_NOLOAD, RTLD_NOW } from "./libc.js";

export const STOP_REQUEST_CODE = Buffer.from([
  0x83, 0x39, 0x00, 0x75, 0x08, 0x48, 0x83, 0x69, 0x18, 0x01, 0x74, 0x07, 0xc3, 0xc7, 0x01, 0x00,
  0x00, 0x00, 0x00, 0x48, 0x89, 0x71, 0x10, 0xff, 0x61, 0x08, 0xcc, 0xcc, 0xcc, 0xcc, 0xcc, 0xcc,
  0xf0, 0x83, 0x0f, 0x01, 0xc3,
]);
export const CHECK_OFFSET = 0x0;
export const TIMER_OFFSET = 0x20;

/** Bits of the request word: who asked (any bit set stops the engine at the next block). */
export const TIMER_BIT = 1, OTHER_BIT = 2;

const PAGE = 4096;

interface Native { check: bigint; timer: bigint; dlsym(lib: string, name: string): bigint | undefined }
let native: Native | null | undefined;

/** The code page, made once per process: mapped writable, filled, then made read-only and executable. */
function loadNative(): Native | null {
  if (native !== undefined) return native;
  native = null;
  if (process.arch !== "x64") return native;
  const c = hostLibc();
  if (!c) return native;
  try {
    const page = c.mmap(null, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    const at = page ? BigInt(koffi.address(page) as bigint) : 0n;
    if (!page || at === 0xffffffffffffffffn) return native;
    new Uint8Array(koffi.view(page, PAGE)).set(STOP_REQUEST_CODE);
    if (c.mprotect(page, PAGE, PROT_READ | PROT_EXEC) !== 0) return native;
    native = {
      check: at + BigInt(CHECK_OFFSET),
      timer: at + BigInt(TIMER_OFFSET),
      dlsym(path, name) {
        const h = c.dlopen(path, RTLD_NOW | RTLD_NOLOAD); // the copy koffi loaded, not a second one
        const f = h ? c.dlsym(h, name) : null;
        return f ? BigInt(koffi.address(f) as bigint) : undefined;
      },
    };
  } catch {
    // no executable page for us: engines get no stop requests, and runs are bounded by instruction counts
  }
  return native;
}

/** What StopRequest needs of an engine: its library and a way to add the native block hook. */
export interface StoppableEngine {
  readonly libraryPath: string;
  hookBlockNative(callback: bigint, user: bigint): void;
}

/** Bytes of a stop-request buffer (StopRequest.buffer). */
export const STOP_REQUEST_SIZE = 32;

export class StopRequest {
  private readonly word: Int32Array;
  private readonly stopped: BigUint64Array;
  private readonly budget: BigInt64Array;
  /** The word's address, the block hook's user data and the timer's sigval. */
  readonly address: bigint;
  /** SIGEV_THREAD's notification function that sets TIMER_BIT (watchdog.ts). */
  readonly timerFunction: bigint;

  /**
   * `buffer`: the request word (Int32 at byte 0), uc_emu_stop's address (byte 8), the address of
   * the block the last requested stop came before (byte 16) and the block budget (byte 24), shared
   * with any thread. Engines that run one at a time on one thread may share one (a serve runner's
   * kernels).
   */
  private constructor(n: Native, stop: bigint, readonly buffer: SharedArrayBuffer) {
    this.word = new Int32Array(buffer, 0, 1);
    this.stopped = new BigUint64Array(buffer, 16, 1);
    this.budget = new BigInt64Array(buffer, 24, 1);
    this.address = BigInt(koffi.address(new Uint8Array(this.buffer)) as bigint);
    new BigUint64Array(this.buffer, 8, 1)[0] = stop;
    this.timerFunction = n.timer;
  }

  /** Installs the block hook on `engine`, or undefined where this cannot be done. */
  static install(engine: StoppableEngine, buffer = new SharedArrayBuffer(STOP_REQUEST_SIZE)): StopRequest | undefined {
    const n = loadNative();
    const stop = n?.dlsym(engine.libraryPath, "uc_emu_stop");
    if (!n || !stop) return undefined;
    const r = new StopRequest(n, stop, buffer);
    engine.hookBlockNative(n.check, r.address);
    return r;
  }

  /**
   * The next run stops at the start of its `blocks`-th block (0: no budget). Set on the engine's
   * thread, between runs.
   */
  setBudget(blocks: number): void {
    this.budget[0] = BigInt(blocks);
  }

  /** Did the last run stop because its budget was used up? */
  get budgetSpent(): boolean {
    return this.budget[0] === 0n;
  }

  /** Forgets a timer's request that arrived after its run ended (a run starts with its own timer). */
  clearTimer(): void {
    Atomics.and(this.word, 0, ~TIMER_BIT);
  }

  /**
   * Where the engine must resume if the stop that ended its last run was a requested one (the
   * block's first instruction), once: undefined otherwise.
   */
  takeStopAddress(): bigint | undefined {
    const at = this.stopped[0];
    if (at === 0n) return undefined;
    this.stopped[0] = 0n;
    return at;
  }

  /** Requests waiting (a test's view). */
  get pending(): number {
    return Atomics.load(this.word, 0);
  }
}

/** Asks the engine of a StopRequest's shared buffer to stop at its next block (OTHER_BIT), from any thread. */
export function requestStop(buffer: SharedArrayBuffer): void {
  Atomics.or(new Int32Array(buffer, 0, 1), 0, OTHER_BIT);
}
