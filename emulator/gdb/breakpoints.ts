// Breakpoints without touching guest memory: an engine code hook on the address (a
// UC_HOOK_CODE over that one address) that stops the CPU before the instruction runs. So a
// breakpoint works anywhere the CPU executes, the read-only kernel text included, and a read of
// the code shows the real bytes. gdb's Z0 (software) and Z1 (hardware) are the same thing here.

import type { LinuxKernel } from "../../kernel-model/linux.js";

/**
 * One engine hook per (machine, address), installed the first time the address is wanted and
 * kept (the engine binding has no hook removal): a hook nobody wants any more costs one call
 * into JS each time its instruction runs, nothing elsewhere.
 */
export class CodeHooks {
  private readonly installed = new WeakMap<LinuxKernel, Set<bigint>>();

  constructor(
    private readonly onHit: (k: LinuxKernel, addr: bigint) => void,
    /** Drops the translations of the instruction at the address, so the hook applies to it now. */
    private readonly retranslate: (k: LinuxKernel, addr: bigint) => void,
  ) {}

  /** Call only while that machine's CPU is not running. */
  ensure(k: LinuxKernel, addr: bigint): void {
    let set = this.installed.get(k);
    if (!set) this.installed.set(k, (set = new Set()));
    if (set.has(addr)) return;
    set.add(addr);
    k.cpu.onExecute(addr, () => this.onHit(k, addr));
    this.retranslate(k, addr); // hooks apply to code translated from now on
  }
}

/** The addresses gdb inserted, per process (a fork's child starts with its parent's, as its memory would). */
export class BreakpointTable {
  private readonly byPid = new Map<number, Set<bigint>>();

  insert(pid: number, addr: bigint): void {
    let s = this.byPid.get(pid);
    if (!s) this.byPid.set(pid, (s = new Set()));
    s.add(addr);
  }
  remove(pid: number, addr: bigint): void {
    this.byPid.get(pid)?.delete(addr);
  }
  has(pid: number, addr: bigint): boolean {
    return this.byPid.get(pid)?.has(addr) ?? false;
  }
  of(pid: number): bigint[] {
    return [...(this.byPid.get(pid) ?? [])];
  }
  inherit(parent: number, child: number): void {
    this.byPid.set(child, new Set(this.byPid.get(parent) ?? []));
  }
  clear(pid: number): void {
    this.byPid.delete(pid);
  }
}
