// Commit accounting in mm_struct, as Linux's strict overcommit (vm.overcommit_memory = 2) does it:
// writable private areas are charged in full when made, uncharged when unmapped, and a charge past
// CommitLimit fails the call with ENOMEM before anything changes. The syscalls see it as
// mmap/mremap/mprotect = -ENOMEM and brk = the old break.

import { describe, expect, it } from "vitest";
import { E, Errno } from "../../kernel-model/errno.js";
import { KERNEL_RESERVE, MmStruct, OutOfMemory, PF_USER, PF_WRITE, VM_FAULT_OK, VM_FAULT_SIGSEGV } from "../../kernel-model/mm/mm_struct.js";
import { PAGE_SIZE, PhysMem } from "../../kernel-model/mm/phys.js";
import { mmapFamily } from "../../kernel-model/syscalls/mm/mmap.js";
import type { Task } from "../../kernel-model/sched/task.js";
import type { SyscallArgs, SyscallContext } from "../../kernel-model/syscalls/types.js";
import { MAP_ANONYMOUS, MAP_FIXED, PROT_EXEC, PROT_READ, PROT_WRITE } from "../../kernel-model/uapi/asm-generic/mman-common.js";
import { MAP_PRIVATE } from "../../kernel-model/uapi/linux/mman.js";

const PAGE = BigInt(PAGE_SIZE);
const RW = PROT_READ | PROT_WRITE;
const BASE = 0x10000000n;

/** An x86-64 address space over `mib` MiB of RAM, with its commit limit set to `limit` pages. */
function newMm(limit: number, mib = 8): MmStruct {
  const mm = new MmStruct(new PhysMem(mib << 20), { taskSize: 0x7ffffffff000n, mmapBase: 0x7f0000000000n, mmapMin: 0x10000n });
  mm.commitLimit = limit;
  return mm;
}

function enomem(f: () => void): void {
  let err: unknown;
  try { f(); } catch (e) { err = e; }
  expect(err).toBeInstanceOf(Errno);
  expect((err as Errno).errno).toBe(E.ENOMEM);
}

/** Calls a service routine as the dispatcher does: Errno thrown = -errno. */
function sys(mm: MmStruct, name: string, ...a: bigint[]): bigint {
  const ctx = { abi: "x86_64", task: { mm, files: { get: () => undefined } } as unknown as Task, mem: mm,
    cpu: undefined as never, exit: () => {} } as SyscallContext;
  const args = [...a, 0n, 0n, 0n, 0n, 0n, 0n].slice(0, 6) as unknown as SyscallArgs;
  try {
    return BigInt(mmapFamily[name](ctx, args));
  } catch (e) {
    if (e instanceof Errno) return BigInt(-e.errno);
    throw e;
  }
}

describe("the default CommitLimit", () => {
  it("is guest RAM minus the kernel's reserve (what --memory asked for)", () => {
    const mem = 64 << 20;
    const mm = new MmStruct(new PhysMem(mem + KERNEL_RESERVE), { taskSize: 0x7ffffffff000n, mmapBase: 0x7f0000000000n, mmapMin: 0x10000n });
    expect(mm.commitLimit).toBe(mem / PAGE_SIZE);
    expect(mm.committedPages).toBe(0);
  });
});

describe("charging areas", () => {
  it("writable areas are charged in full at map time, read-only and exec areas are not", () => {
    const mm = newMm(100);
    mm.mapRegion(BASE, 10n * PAGE, RW);
    expect(mm.committedPages).toBe(10);
    mm.mapRegion(BASE + 0x100000n, 5n * PAGE, PROT_READ | PROT_EXEC, "text");
    expect(mm.committedPages).toBe(10);
    expect(mm.findVma(BASE)!.accounted).toBe(true);
    expect(mm.findVma(BASE + 0x100000n)!.accounted).toBe(false);
    expect(mm.phys.framesInUse).toBeLessThan(10); // charged is not populated: frames come on first touch
  });

  it("munmap gives back exactly the pages it removes, also from the middle of an area", () => {
    const mm = newMm(100);
    mm.mapRegion(BASE, 10n * PAGE, RW);
    mm.unmapRegion(BASE + 3n * PAGE, 2n * PAGE);
    expect(mm.committedPages).toBe(8);
    mm.unmapRegion(BASE, 20n * PAGE);
    expect(mm.committedPages).toBe(0);
  });

  it("a charge up to the limit succeeds; one page more is ENOMEM and changes nothing", () => {
    const mm = newMm(16);
    mm.mapRegion(BASE, 10n * PAGE, RW);
    mm.mapRegion(BASE + 0x100000n, 6n * PAGE, RW);
    expect(mm.committedPages).toBe(16);
    enomem(() => mm.mapRegion(BASE + 0x200000n, PAGE, RW));
    expect(mm.committedPages).toBe(16);
    expect(mm.findVma(BASE + 0x200000n)).toBeUndefined();
    mm.mapRegion(BASE + 0x200000n, 100n * PAGE, PROT_READ); // read-only: free of charge
  });

  it("MAP_FIXED over a charged area counts the pages it replaces; a failed one leaves the old area and its contents", () => {
    const mm = newMm(12);
    mm.mapRegion(BASE, 10n * PAGE, RW);
    mm.write(BASE, Buffer.from("keep"));
    mm.mapRegion(BASE, 12n * PAGE, RW); // 10 released, 12 charged: exactly the limit
    expect(mm.committedPages).toBe(12);
    mm.write(BASE, Buffer.from("keep"));
    enomem(() => mm.mapRegion(BASE + 4n * PAGE, 12n * PAGE, RW)); // 8 released, 12 charged: 16 > 12
    expect(mm.read(BASE, 4).toString()).toBe("keep");
    expect(mm.findVma(BASE + 11n * PAGE)).toBeDefined();
    expect(mm.committedPages).toBe(12);
  });
});

describe("mprotect", () => {
  it("adding PROT_WRITE charges an area not yet accounted; past the limit ENOMEM and the old protection stays", () => {
    const mm = newMm(5);
    mm.mapRegion(BASE, 6n * PAGE, PROT_READ);
    mm.protectRegion(BASE, 4n * PAGE, RW);
    expect(mm.committedPages).toBe(4);
    enomem(() => mm.protectRegion(BASE, 6n * PAGE, RW)); // only the 2 new pages are charged: 6 > 5
    expect(mm.findVma(BASE + 5n * PAGE)!.prot).toBe(PROT_READ);
    expect(mm.committedPages).toBe(4);
    mm.protectRegion(BASE, 5n * PAGE, RW);
    expect(mm.committedPages).toBe(5);
  });

  it("is all or nothing, and removing PROT_WRITE keeps the charge (VM_ACCOUNT stays until munmap)", () => {
    const mm = newMm(8);
    mm.mapRegion(BASE, 6n * PAGE, RW);
    mm.mapRegion(BASE + 6n * PAGE, 6n * PAGE, PROT_READ);
    expect(mm.committedPages).toBe(6);
    enomem(() => mm.protectRegion(BASE, 12n * PAGE, RW));
    expect(mm.findVma(BASE + 6n * PAGE)!.prot).toBe(PROT_READ);
    expect(mm.committedPages).toBe(6);
    mm.protectRegion(BASE, 6n * PAGE, PROT_READ);
    expect(mm.committedPages).toBe(6);
    mm.protectRegion(BASE, 6n * PAGE, RW); // already accounted: no new charge, cannot fail
    expect(mm.committedPages).toBe(6);
    mm.unmapRegion(BASE, 12n * PAGE);
    expect(mm.committedPages).toBe(0);
  });
});

describe("moving (mremap)", () => {
  it("charges only the growth, keeps the contents, and moves frames instead of copying them", () => {
    const mm = newMm(12);
    mm.mapRegion(BASE, 4n * PAGE, RW);
    for (let i = 0n; i < 4n; i++) mm.write(BASE + i * PAGE, Buffer.from(`page ${i}`));
    const frames = mm.phys.framesInUse;
    const to = BASE + 0x1000000n;
    mm.moveRegion(BASE, 4n * PAGE, to, 12n * PAGE);
    expect(mm.committedPages).toBe(12);
    expect(mm.findVma(BASE)).toBeUndefined();
    for (let i = 0n; i < 4n; i++) expect(mm.read(to + i * PAGE, 6).toString()).toBe(`page ${i}`);
    // no data frame was allocated (only, perhaps, page-table pages for the new address)
    expect(mm.phys.framesInUse - frames).toBeLessThanOrEqual(3);
    expect(mm.residentPages()).toBe(4);
    enomem(() => mm.moveRegion(to, 12n * PAGE, BASE, 13n * PAGE));
    expect(mm.read(to, 6).toString()).toBe("page 0");
  });
});

describe("the syscalls past the limit", () => {
  it("mmap: -ENOMEM; munmap gives the charge back and the same mmap then works", () => {
    const mm = newMm(64);
    const len = 40n * PAGE;
    const a = sys(mm, "sys_mmap", 0n, len, BigInt(RW), BigInt(MAP_PRIVATE | MAP_ANONYMOUS), 0xffffffffn, 0n);
    expect(a > 0n).toBe(true);
    expect(sys(mm, "sys_mmap", 0n, len, BigInt(RW), BigInt(MAP_PRIVATE | MAP_ANONYMOUS), 0xffffffffn, 0n)).toBe(BigInt(-E.ENOMEM));
    // read-only private anonymous memory is not charged (it can only ever hold zeroes)
    expect(sys(mm, "sys_mmap", 0n, len, BigInt(PROT_READ), BigInt(MAP_PRIVATE | MAP_ANONYMOUS), 0xffffffffn, 0n) > 0n).toBe(true);
    expect(sys(mm, "sys_munmap", a, len)).toBe(0n);
    expect(mm.committedPages).toBe(0);
    expect(sys(mm, "sys_mmap", a, len, BigInt(RW), BigInt(MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED), 0xffffffffn, 0n)).toBe(a);
    expect(mm.committedPages).toBe(40);
  });

  it("brk: past the limit the break stays where it was; shrinking uncharges", () => {
    const mm = newMm(20);
    mm.startBrk = mm.brk = BASE;
    expect(sys(mm, "sys_brk", BASE + 16n * PAGE)).toBe(BASE + 16n * PAGE);
    expect(mm.committedPages).toBe(16);
    expect(sys(mm, "sys_brk", BASE + 21n * PAGE)).toBe(BASE + 16n * PAGE);
    expect(mm.brk).toBe(BASE + 16n * PAGE);
    expect(sys(mm, "sys_brk", BASE + 4n * PAGE)).toBe(BASE + 4n * PAGE);
    expect(mm.committedPages).toBe(4);
    expect(sys(mm, "sys_brk", BASE + 20n * PAGE)).toBe(BASE + 20n * PAGE);
  });

  it("mremap: growing in place or by moving is -ENOMEM past the limit; shrinking uncharges", () => {
    const mm = newMm(20);
    mm.mapRegion(BASE, 8n * PAGE, RW);
    mm.mapRegion(BASE + 8n * PAGE, PAGE, PROT_READ); // a neighbour: growth in place is impossible
    expect(sys(mm, "sys_mremap", BASE, 8n * PAGE, 30n * PAGE, 1n /* MREMAP_MAYMOVE */)).toBe(BigInt(-E.ENOMEM));
    const to = sys(mm, "sys_mremap", BASE, 8n * PAGE, 20n * PAGE, 1n);
    expect(to > 0n && to !== BASE).toBe(true);
    expect(mm.committedPages).toBe(20);
    expect(sys(mm, "sys_mremap", to, 20n * PAGE, 10n * PAGE, 0n)).toBe(to);
    expect(mm.committedPages).toBe(10);
    mm.unmapRegion(to + 10n * PAGE, 20n * PAGE);
    expect(sys(mm, "sys_mremap", to, 10n * PAGE, 21n * PAGE, 0n)).toBe(BigInt(-E.ENOMEM));
    expect(sys(mm, "sys_mremap", to, 10n * PAGE, 20n * PAGE, 0n)).toBe(to);
  });

  it("mprotect: -ENOMEM when PROT_WRITE would be charged past the limit", () => {
    const mm = newMm(4);
    mm.mapRegion(BASE, 8n * PAGE, PROT_READ);
    expect(sys(mm, "sys_mprotect", BASE, 8n * PAGE, BigInt(RW))).toBe(BigInt(-E.ENOMEM));
    expect(sys(mm, "sys_mprotect", BASE, 4n * PAGE, BigInt(RW))).toBe(0n);
  });
});

describe("the last resort: a fault with no frame left", () => {
  it("throws OutOfMemory (for the fault path to kill the task), never a plain ENOMEM", () => {
    const mm = newMm(0, 2); // 2 MiB of RAM, 1 of it the reserved first MiB
    const pages = 1024n;
    mm.mapRegion(BASE, pages * PAGE, PROT_READ); // uncharged: read faults still need frames here
    let err: unknown;
    for (let i = 0n; i < pages; i++) {
      try {
        expect(mm.handleFault(BASE + i * PAGE, PF_USER)).toBe(VM_FAULT_OK);
      } catch (e) {
        err = e;
        break;
      }
    }
    expect(err).toBeInstanceOf(OutOfMemory);
    expect((err as OutOfMemory).message).toMatch(/out of memory/);
    // a write to a read-only area is still a plain SIGSEGV, not an OOM
    expect(mm.handleFault(BASE, PF_USER | PF_WRITE)).toBe(VM_FAULT_SIGSEGV);
  });
});
