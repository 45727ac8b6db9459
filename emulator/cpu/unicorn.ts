// The one module that talks to the Unicorn engine (libunicorn.so.2 through koffi). Everything
// else in sysgate goes through the `Unicorn` class, so that another build of the engine (a WASM
// one) could replace this file alone.

import koffi, { type LibraryHandle } from "koffi";
import { UC, UC_HEADER_VERSION } from "./unicorn_const.js";
import { HOW_TO_GET_UNICORN, UNICORN_MIN, UnicornNotFound, unicornCandidates } from "./unicorn_library.js";

export { UC };

type Fn = (...args: unknown[]) => unknown;

interface Api {
  version: [number, number, number];
  path: string;
  uc_open: Fn; uc_close: Fn; uc_strerror: Fn;
  uc_reg_read: Fn; uc_reg_write: Fn; uc_reg_read_batch: Fn; uc_reg_write_batch: Fn;
  uc_reg_read_msr: Fn; uc_reg_write_msr: Fn; uc_reg_read_mmr: Fn; uc_reg_write_mmr: Fn;
  uc_mem_map_ptr: Fn;
  uc_emu_start: Fn; uc_emu_stop: Fn;
  uc_hook_add: Fn; uc_hook_add_native: Fn;
  uc_ctl0: Fn; uc_ctl_int: Fn; uc_ctl_range: Fn;
  uc_context_alloc: Fn; uc_context_save: Fn; uc_context_restore: Fn; uc_context_free: Fn;
  trampolines: { code: unknown; trap: unknown; intr: unknown; insn: unknown };
}

/** The JS function of each hook, by the id passed to Unicorn as its user_data. */
const hookFns = new Map<number, (a: never, b: never) => unknown>();
let nextHookId = 1;

let api: Api | undefined;

/**
 * Engine calls (JS → C) and hook callbacks (C → JS) by name, counted only when the environment
 * has SYSGATE_ENGINE_CALLS=1 when the engine is first loaded (`npm run bench` profiles with it);
 * otherwise the functions are koffi's own, with nothing in between.
 */
export const engineCalls: Record<string, number> = {};
const counting = process.env.SYSGATE_ENGINE_CALLS === "1";
function counted<F extends (...a: never[]) => unknown>(name: string, fn: F): F {
  if (!counting) return fn;
  engineCalls[name] = 0;
  return ((...a: never[]) => {
    engineCalls[name]++;
    return fn(...a);
  }) as F;
}

function bind(): Api {
  if (api) return api;
  const tried: string[] = [];
  for (const { path, origin } of unicornCandidates()) {
    let lib: LibraryHandle;
    try {
      lib = koffi.load(path);
    } catch (e) {
      tried.push(`${origin} (${path}): ${(e as Error).message.split("\n")[0]}`);
      continue;
    }
    const uc_version = lib.func("unsigned int uc_version(_Out_ unsigned int *major, _Out_ unsigned int *minor)");
    const maj = [0], min = [0];
    const packed = uc_version(maj, min) as number;
    const version: [number, number, number] = [maj[0], min[0], (packed >> 8) & 0xff];
    if (maj[0] < UNICORN_MIN[0] || (maj[0] === UNICORN_MIN[0] && min[0] < UNICORN_MIN[1])) {
      tried.push(`${origin} (${path}): version ${version.join(".")} is too old`);
      continue;
    }
    if (maj[0] !== UC_HEADER_VERSION[0] || min[0] !== UC_HEADER_VERSION[1]) {
      tried.push(`${origin} (${path}): version ${version.join(".")} does not match the constants generated from ` +
        `Unicorn ${UC_HEADER_VERSION.join(".")} headers (regenerate emulator/cpu/unicorn_const.ts)`);
      continue;
    }
    const MSR = koffi.struct({ rid: "uint32_t", value: "uint64_t" });
    const MMR = koffi.struct({ selector: "uint16_t", base: "uint64_t", limit: "uint32_t", flags: "uint32_t" });
    // The user_data of every hook is an id into `hookFns` (uintptr_t, not a pointer).
    const HookCode = koffi.proto(`void sg_hook_code(void *uc, uint64_t address, uint32_t size, uintptr_t user)`);
    // The same callback for a hook that looks at neither the engine nor the address, as the two
    // callbacks of every syscall are declared too: koffi makes a JS object of a `void *` and a
    // BigInt of a kernel-text address on each call. Those arguments are read as their low 16 bits,
    // which JS holds without allocating (each integer argument has a register or stack slot of
    // its own in the x86-64 calling conventions, so the ones after it are where they are).
    const HookTrap = koffi.proto(`void sg_hook_trap(uint16_t uc_low, uint16_t address_low, uint32_t size, uintptr_t user)`);
    const HookIntr = koffi.proto(`void sg_hook_intr(void *uc, uint32_t intno, uintptr_t user)`);
    const HookInsn = koffi.proto(`void sg_hook_insn(uint16_t uc_low, uintptr_t user)`);
    // One trampoline per kind, registered here, once: koffi.register() called from inside a
    // callback (a hook added while the guest runs) yields a trampoline that fails with
    // "Maximum call stack size exceeded" when it fires (measured).
    // Fixed arities, no rest arguments: two of these run on every syscall.
    type Hook2 = (a: unknown, b: unknown) => unknown;
    const fnOf = (user: number | bigint) => hookFns.get(typeof user === "number" ? user : Number(user)) as Hook2 | undefined;
    const trampolines = {
      code: koffi.register(counted("hook UC_HOOK_CODE", (_uc: unknown, address: number | bigint, size: number, user: number) => fnOf(user)?.(address, size)), koffi.pointer(HookCode)),
      trap: koffi.register(counted("hook UC_HOOK_CODE", (_uc: unknown, _address: number, _size: number, user: number) => fnOf(user)?.(undefined, undefined)), koffi.pointer(HookTrap)),
      intr: koffi.register(counted("hook UC_HOOK_INTR", (_uc: unknown, intno: number, user: number) => fnOf(user)?.(intno, undefined)), koffi.pointer(HookIntr)),
      insn: koffi.register(counted("hook UC_HOOK_INSN", (_uc: unknown, user: number) => fnOf(user)?.(undefined, undefined)), koffi.pointer(HookInsn)),
    };
    const a: Api = {
      version, path,
      uc_open: lib.func("int uc_open(int arch, int mode, _Out_ void **uc)"),
      uc_close: lib.func("int uc_close(void *uc)"),
      uc_strerror: lib.func("const char *uc_strerror(int code)"),
      uc_reg_read: lib.func("int uc_reg_read(void *uc, int regid, _Out_ uint64_t *value)"),
      uc_reg_write: lib.func("int uc_reg_write(void *uc, int regid, const uint64_t *value)"),
      uc_reg_read_batch: lib.func("int uc_reg_read_batch(void *uc, int32_t *regs, void *vals, int count)"),
      uc_reg_write_batch: lib.func("int uc_reg_write_batch(void *uc, int32_t *regs, void *vals, int count)"),
      uc_reg_read_msr: lib.func("uc_reg_read", "int", ["void *", "int", koffi.inout(koffi.pointer(MSR))]),
      uc_reg_write_msr: lib.func("uc_reg_write", "int", ["void *", "int", koffi.pointer(MSR)]),
      uc_reg_read_mmr: lib.func("uc_reg_read", "int", ["void *", "int", koffi.out(koffi.pointer(MMR))]),
      uc_reg_write_mmr: lib.func("uc_reg_write", "int", ["void *", "int", koffi.pointer(MMR)]),
      uc_mem_map_ptr: lib.func("int uc_mem_map_ptr(void *uc, uint64_t address, size_t size, uint32_t perms, void *ptr)"),
      uc_emu_start: lib.func("int uc_emu_start(void *uc, uint64_t begin, uint64_t until, uint64_t timeout, size_t count)"),
      uc_emu_stop: lib.func("int uc_emu_stop(void *uc)"),
      uc_hook_add: lib.func("int uc_hook_add(void *uc, _Out_ size_t *hh, int type, void *callback, uintptr_t user, uint64_t begin, uint64_t end, ...)"),
      // a callback that is machine code at a known address, not a koffi trampoline (stop_request.ts)
      uc_hook_add_native: lib.func("uc_hook_add", "int", ["void *", koffi.out("size_t *"), "int", "uintptr_t", "uintptr_t", "uint64_t", "uint64_t", "..."]),
      uc_ctl0: lib.func("uc_ctl", "int", ["void *", "int"]),
      uc_ctl_int: lib.func("uc_ctl", "int", ["void *", "int", "int"]),
      uc_ctl_range: lib.func("uc_ctl", "int", ["void *", "int", "uint64_t", "uint64_t"]),
      uc_context_alloc: lib.func("int uc_context_alloc(void *uc, _Out_ void **ctx)"),
      uc_context_save: lib.func("int uc_context_save(void *uc, void *ctx)"),
      uc_context_restore: lib.func("int uc_context_restore(void *uc, void *ctx)"),
      uc_context_free: lib.func("int uc_context_free(void *ctx)"),
      trampolines,
    };
    if (counting) for (const [k, v] of Object.entries(a)) if (k.startsWith("uc_")) (a as unknown as Record<string, Fn>)[k] = counted(k, v as Fn);
    api = a;
    return api;
  }
  throw new UnicornNotFound(`${HOW_TO_GET_UNICORN}\nTried:\n  ${tried.join("\n  ")}`);
}

/** Version and path of the engine that will be used (loads it). */
export function unicornInfo(): { version: string; path: string } {
  const a = bind();
  return { version: a.version.join("."), path: a.path };
}

export class UnicornError extends Error {
  constructor(readonly code: number, what: string) {
    super(`${what}: ${bind().uc_strerror(code) as string} (UC_ERR ${code})`);
  }
}

/** Bytes of translated code an engine keeps (see the constructor). */
export const TCG_BUFFER_SIZE = 32 << 20;

/** UC_CTL_WRITE(type, nr) from unicorn.h. */
const ctlWrite = (type: number, nr: number) => (UC.UC_CTL_IO_WRITE << 30) | (nr << 26) | type;

export type Reg = number;
export interface Mmr { selector: number; base: bigint; limit: number; flags: number }

export class Unicorn {
  private readonly a: Api;
  private readonly uc: unknown;
  /** Ids of this engine's hooks in `hookFns`, dropped at close(). */
  private readonly hookIds: number[] = [];
  private readonly one = new BigUint64Array(1);
  private closed = false;
  /** Pinned host buffers mapped as guest physical memory: kept alive as long as the engine. */
  private readonly pinned: Buffer[] = [];

  constructor(readonly mode: "64" | "32") {
    this.a = bind();
    const out: unknown[] = [null];
    this.check(this.a.uc_open(UC.UC_ARCH_X86, mode === "64" ? UC.UC_MODE_64 : UC.UC_MODE_32, out), "uc_open");
    this.uc = out[0];
    // Before anything is translated: the size of the buffer that holds translated code. A flush
    // (TB_FLUSH, or Unicorn's own when counting stops) costs in proportion to it, ~0.1 ms per
    // MiB; Unicorn's default is 1 GiB (~110 ms a flush, and the first one ~1.3 s). A full buffer is
    // flushed by the engine itself and refilled with the code that runs (ENGINE.md).
    this.check(this.a.uc_ctl_int(this.uc, ctlWrite(UC.UC_CTL_TCG_BUFFER_SIZE, 1), TCG_BUFFER_SIZE), "uc_ctl(TCG_BUFFER_SIZE)");
  }

  private check(rc: unknown, what: string): void {
    if (rc !== UC.UC_ERR_OK) throw new UnicornError(rc as number, what);
  }

  readBig(reg: Reg): bigint {
    this.one[0] = 0n; // narrow registers (segment selectors) fill only their low bytes
    this.check(this.a.uc_reg_read(this.uc, reg, this.one), "uc_reg_read");
    return this.one[0];
  }
  read(reg: Reg): number {
    return Number(this.readBig(reg));
  }
  write(reg: Reg, value: bigint | number): void {
    // a BigUint64Array store wraps a negative value modulo 2^64 by itself
    this.one[0] = typeof value === "bigint" ? value : BigInt(value);
    this.check(this.a.uc_reg_write(this.uc, reg, this.one), "uc_reg_write");
  }

  /**
   * A batch of registers read or written with one engine call each way (uc_reg_*_batch): `regs`
   * in 8-byte slots, then `wide` in slots of `wideSize` bytes.
   */
  batch(regs: readonly Reg[], wide: readonly Reg[] = [], wideSize = 16): RegBatch {
    return new RegBatch(this.a, this.uc, regs, wide, wideSize);
  }

  readMsr(msr: number): bigint {
    const v = { rid: msr, value: 0n };
    this.check(this.a.uc_reg_read_msr(this.uc, UC.UC_X86_REG_MSR, v), "uc_reg_read(MSR)");
    return BigInt(v.value);
  }
  writeMsr(msr: number, value: bigint): void {
    this.check(this.a.uc_reg_write_msr(this.uc, UC.UC_X86_REG_MSR, { rid: msr, value }), "uc_reg_write(MSR)");
  }
  readMmr(reg: Reg): Mmr {
    const v: Record<string, unknown> = {};
    this.check(this.a.uc_reg_read_mmr(this.uc, reg, v), "uc_reg_read(MMR)");
    return { selector: v.selector as number, base: BigInt(v.base as number), limit: v.limit as number, flags: v.flags as number };
  }
  writeMmr(reg: Reg, v: Mmr): void {
    this.check(this.a.uc_reg_write_mmr(this.uc, reg, v), "uc_reg_write(MMR)");
  }

  /** Host memory `buf` becomes guest physical memory at `address` (uc_mem_map_ptr). */
  mapHostMemory(address: bigint, buf: Buffer): void {
    this.check(this.a.uc_mem_map_ptr(this.uc, address, buf.length, UC.UC_PROT_ALL, buf), "uc_mem_map_ptr");
    this.pinned.push(buf);
  }

  /**
   * Runs from `begin` until `until`, a stop, or `count` instructions (0 = no limit). Returns the
   * uc_err. A `count` makes Unicorn insert a counting hook before every instruction of the code it
   * translates from then on (code translated before is not counted); a run without one removes
   * that hook and flushes the translated code. `timeoutUs` limits the time with Unicorn's watchdog
   * thread, whose stop is not safe to resume from (ENGINE.md): tests use it to show that, and
   * X86Cpu bounds its runs with a Watchdog and the stop-request word instead (stop_request.ts).
   */
  start(begin: bigint, until = 0n, count = 0, timeoutUs = 0): number {
    return this.a.uc_emu_start(this.uc, begin, until, timeoutUs, count) as number;
  }
  stop(): void {
    this.a.uc_emu_stop(this.uc);
  }
  /** The file the engine was loaded from. */
  get libraryPath(): string {
    return this.a.path;
  }
  /** The engine's handle as an integer: another thread may stop it (uc_emu_stop), as gdb's connection worker does. */
  get address(): bigint {
    return BigInt(koffi.address(this.uc));
  }
  strerror(code: number): string {
    return this.a.uc_strerror(code) as string;
  }

  private addHook(type: number, trampoline: unknown, fn: (a: never, b: never) => unknown,
    begin: bigint, end: bigint, extra?: number): number {
    const id = nextHookId++;
    hookFns.set(id, fn);
    this.hookIds.push(id);
    const hh = [0];
    const rc = extra === undefined
      ? this.a.uc_hook_add(this.uc, hh, type, trampoline, id, begin, end)
      : this.a.uc_hook_add(this.uc, hh, type, trampoline, id, begin, end, "int", extra);
    this.check(rc, "uc_hook_add");
    return hh[0];
  }
  /**
   * UC_HOOK_CODE over [begin, end] (inclusive): keep ranges narrow, each call costs ~0.3 us. The
   * address comes as koffi gives it (a Number below 2^53, else a BigInt).
   */
  hookCode(begin: bigint, end: bigint, fn: (address: number | bigint, size: number) => void): number {
    return this.addHook(UC.UC_HOOK_CODE, this.a.trampolines.code, fn, begin, end);
  }
  /** UC_HOOK_CODE on one address, for a callback that needs neither the address nor the size (a trap). */
  hookTrap(address: bigint, fn: () => void): number {
    return this.addHook(UC.UC_HOOK_CODE, this.a.trampolines.trap, fn, address, address);
  }
  /** UC_HOOK_BLOCK over all code with a native callback (stop_request.ts): no JavaScript runs. */
  hookBlockNative(callback: bigint, user: bigint): void {
    this.check(this.a.uc_hook_add_native(this.uc, [0], UC.UC_HOOK_BLOCK, callback, user, 1n, 0n), "uc_hook_add");
  }
  /** UC_HOOK_INTR: interrupts and CPU exceptions (Unicorn delivers none through the IDT itself). */
  hookIntr(fn: (intno: number) => void): number {
    return this.addHook(UC.UC_HOOK_INTR, this.a.trampolines.intr, fn, 1n, 0n);
  }
  /** UC_HOOK_INSN for `syscall` / `sysenter`: the hook replaces the instruction's effect. */
  hookInsn(insn: number, fn: () => void): number {
    return this.addHook(UC.UC_HOOK_INSN, this.a.trampolines.insn, fn, 1n, 0n, insn);
  }

  /** Drops every translated block: needed after code bytes change under the engine. */
  flushTb(): void {
    this.check(this.a.uc_ctl0(this.uc, ctlWrite(UC.UC_CTL_TB_FLUSH, 0)), "uc_ctl(TB_FLUSH)");
  }
  /**
   * Drops the translated blocks that hold code in [begin, end) of the current address space
   * (UC_CTL_TB_REMOVE_CACHE): a new code hook there applies at once, without TB_FLUSH's cost
   * (0.4-4 s with a 1 GiB guest RAM, measured).
   */
  removeCache(begin: bigint, end: bigint): void {
    this.check(this.a.uc_ctl_range(this.uc, ctlWrite(UC.UC_CTL_TB_REMOVE_CACHE, 2), begin, end), "uc_ctl(TB_REMOVE_CACHE)");
  }
  /** Drops the software TLB (and TBs): needed after a page-table entry is changed or removed. */
  flushTlb(): void {
    this.check(this.a.uc_ctl0(this.uc, ctlWrite(UC.UC_CTL_TLB_FLUSH, 0)), "uc_ctl(TLB_FLUSH)");
  }

  contextAlloc(): UnicornContext {
    const out: unknown[] = [null];
    this.check(this.a.uc_context_alloc(this.uc, out), "uc_context_alloc");
    return new UnicornContext(out[0]);
  }
  contextSave(ctx: UnicornContext): void {
    this.check(this.a.uc_context_save(this.uc, ctx.handle), "uc_context_save");
  }
  contextRestore(ctx: UnicornContext): void {
    this.check(this.a.uc_context_restore(this.uc, ctx.handle), "uc_context_restore");
  }
  contextFree(ctx: UnicornContext): void {
    this.a.uc_context_free(ctx.handle);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.a.uc_close(this.uc);
    for (const id of this.hookIds) hookFns.delete(id);
    this.hookIds.length = 0;
    this.pinned.length = 0;
  }
}

export class UnicornContext {
  constructor(readonly handle: unknown) {}
}

/**
 * Several registers moved with one FFI call. Each register has a slot in one pinned buffer (8
 * bytes, or `wide` bytes for the registers listed after the 8-byte ones: XMM and x87 registers);
 * `ptrs` holds each slot's address, as uc_reg_read_batch wants (void **vals).
 */
export class RegBatch {
  /** The raw slots; `values` views the 8-byte ones as 64-bit numbers. */
  readonly raw: Buffer;
  readonly values: BigUint64Array;
  private readonly ids: Int32Array;
  private readonly ptrs: BigUint64Array;
  /** Byte offset of each register's slot in `raw`. */
  private readonly offsets: number[];
  constructor(private readonly a: Api, private readonly uc: unknown, regs: readonly Reg[], wide: readonly Reg[] = [], wideSize = 16,
    shared?: { raw: Buffer; slots: number[] }) {
    const n8 = regs.length;
    this.ids = Int32Array.from([...regs, ...wide]);
    this.raw = shared?.raw ?? Buffer.alloc(n8 * 8 + wide.length * wideSize);
    this.values = new BigUint64Array(this.raw.buffer, this.raw.byteOffset, shared ? this.raw.length >> 3 : n8);
    this.ptrs = new BigUint64Array(this.ids.length);
    const base = koffi.address(this.raw) as bigint;
    const offsets = shared?.slots ?? this.ids.map((_, i) => (i < n8 ? i * 8 : n8 * 8 + (i - n8) * wideSize));
    for (let i = 0; i < this.ids.length; i++) this.ptrs[i] = base + BigInt(offsets[i]);
    this.offsets = Array.from(offsets);
  }
  read(): BigUint64Array {
    // the wide slots (x87/SSE) are never looked at in JS, only written back as they were read;
    // TypedArray fill, not Buffer fill: no call into C++ on every syscall
    this.values.fill(0n);
    const rc = this.a.uc_reg_read_batch(this.uc, this.ids, this.ptrs, this.ids.length);
    if (rc !== UC.UC_ERR_OK) throw new UnicornError(rc as number, "uc_reg_read_batch");
    return this.values;
  }
  write(): void {
    const rc = this.a.uc_reg_write_batch(this.uc, this.ids, this.ptrs, this.ids.length);
    if (rc !== UC.UC_ERR_OK) throw new UnicornError(rc as number, "uc_reg_write_batch");
  }
  /** A batch over the same slots without the registers at `skip` (say, ones only ever read). */
  without(skip: readonly number[]): RegBatch {
    const keep = [...this.ids.keys()].filter((i) => !skip.includes(i));
    return new RegBatch(this.a, this.uc, keep.map((i) => this.ids[i]), [], 0, { raw: this.raw, slots: keep.map((i) => this.offsets[i]) });
  }
}
