// gdb's `m`, `M` and `X` packets, through the page tables of the task gdb has selected, as
// its CPU would see them. The user half goes through the task's mm as ptrace's
// access_process_vm() does (a page not touched yet is faulted in; a read-only mapping can be
// written, as with PTRACE_POKETEXT). The kernel half (text, kernel stack, GDT, IDT, per-CPU
// area, page tables: whatever the task's top-level table maps) is read by walking the tables;
// a write there must hit a page the kernel itself maps writable, and never the kernel text:
// the model's traps sit on that text, and the committed bytes are the kernel's.

const PAGE = 4096n;

/** One task's address space, as target.ts gives it. */
export interface AddressSpace {
  /** First address above the user half (TASK_SIZE). */
  readonly taskSize: bigint;
  /** The top of the address space (2^64 or 2^32). */
  readonly limit: bigint;
  /** The kernel text, [start, end). */
  readonly kernelText: readonly [bigint, bigint];
  /** User memory (copy to/from the task's mm); throws where nothing is mapped. */
  readUser(addr: bigint, len: number): Buffer;
  writeUser(addr: bigint, data: Buffer): void;
  /** The page-table walk for a kernel address: the physical frame and its R/W bit. */
  lookup(va: bigint): { pa: number; write: boolean } | undefined;
  readonly phys: Buffer;
}

/** Up to `len` bytes from `addr`: fewer when the range runs into unmapped memory (none: undefined). */
export function readMemory(as: AddressSpace, addr: bigint, len: number): Buffer | undefined {
  const parts: Buffer[] = [];
  let done = 0;
  while (done < len) {
    const a = addr + BigInt(done);
    if (a >= as.limit) break;
    const n = Math.min(len - done, Number(PAGE - (a % PAGE)));
    const chunk = readPage(as, a, n);
    if (!chunk) break;
    parts.push(chunk);
    done += n;
  }
  return done ? Buffer.concat(parts) : undefined;
}

function readPage(as: AddressSpace, a: bigint, n: number): Buffer | undefined {
  if (a + BigInt(n) <= as.taskSize) {
    try {
      return as.readUser(a, n);
    } catch {
      return undefined;
    }
  }
  if (a < as.taskSize) return undefined; // straddles the hole between the halves
  const pte = as.lookup(a - (a % PAGE));
  if (!pte) return undefined;
  const pa = pte.pa + Number(a % PAGE);
  return Buffer.from(as.phys.subarray(pa, pa + n));
}

export type WriteResult = "ok" | "fault" | "kernel-text" | "read-only";

/** Writes all of `data` or nothing. */
export function writeMemory(as: AddressSpace, addr: bigint, data: Buffer): WriteResult {
  const end = addr + BigInt(data.length);
  if (!data.length) return "ok";
  if (end > as.limit) return "fault";
  const [ts, te] = as.kernelText;
  if (addr < te && end > ts) return "kernel-text";
  if (end <= as.taskSize) {
    try {
      as.writeUser(addr, data);
      return "ok";
    } catch {
      return "fault";
    }
  }
  if (addr < as.taskSize) return "fault";
  // check every page first: all or nothing
  const frames: { pa: number; off: number; n: number }[] = [];
  for (let done = 0; done < data.length;) {
    const a = addr + BigInt(done);
    const n = Math.min(data.length - done, Number(PAGE - (a % PAGE)));
    const pte = as.lookup(a - (a % PAGE));
    if (!pte) return "fault";
    if (!pte.write) return "read-only";
    frames.push({ pa: pte.pa + Number(a % PAGE), off: done, n });
    done += n;
  }
  for (const f of frames) data.copy(as.phys, f.pa, f.off, f.off + f.n);
  return "ok";
}
