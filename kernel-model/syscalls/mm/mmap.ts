// mm/mmap.c, mm/mprotect.c, mm/mremap.c, mm/madvise.c: the address-space syscalls.

import { E, Errno } from "../../errno.js";
import { FMODE_READ } from "../../fs/fcntl.js";
import { S_IFCHR, S_IFMT, S_IFREG } from "../../uapi/linux/stat.js";
import type { File } from "../../fs/file.js";
import { HostFile } from "../../fs/host_file.js";
import { pageDown, pageUp, type VmaBacking } from "../../mm/mm_struct.js";
import { PAGE_SIZE } from "../../mm/phys.js";
import { partial } from "../support.js";
import type { SyscallContext, SyscallFamily } from "../types.js";
import { int, ulong } from "../types.js";
import { MADV_COLLAPSE, MADV_DONTNEED, MADV_FREE, MADV_NORMAL, MADV_REMOVE, MAP_ANONYMOUS, MAP_FIXED, MAP_FIXED_NOREPLACE, PROT_EXEC, PROT_READ, PROT_WRITE } from "../../uapi/asm-generic/mman-common.js";
import { MAP_NORESERVE } from "../../uapi/asm-generic/mman.js";
import { MAP_PRIVATE, MAP_SHARED, MREMAP_FIXED, MREMAP_MAYMOVE } from "../../uapi/linux/mman.js";

const PAGE = BigInt(PAGE_SIZE);

/**
 * The file side of do_mmap (the file's ->mmap): what the area maps. A regular host file is mapped
 * through the page cache (generic_file_mmap), its pages read on first touch; a private mapping of
 * /dev/zero (char 1:5) is anonymous memory (mmap_zero); any other file has no ->mmap (ENODEV).
 */
function fileBacking(file: File, pgoff: bigint, shared: boolean): VmaBacking {
  if (!(file.fmode & FMODE_READ)) throw new Errno(E.EACCES); // every mapping reads the file
  const st = file.stat();
  if ((st.mode & S_IFMT) === S_IFREG && file instanceof HostFile && !file.isDir) {
    file.pread(Buffer.alloc(0), 0); // a file that cannot be read at an offset cannot be mapped
    return { file, pgoff, filemap: true, shared };
  }
  if ((st.mode & S_IFMT) === S_IFCHR && st.rdevMajor === 1 && st.rdevMinor === 5) return { file, pgoff, filemap: false };
  throw new Errno(E.ENODEV);
}

/**
 * do_mmap: anonymous memory appears on first touch; a file mapping holds the file and reads its
 * pages when they are first touched (mm_struct.ts handleFault, filemap.ts).
 */
export function doMmap(ctx: SyscallContext, addr: bigint, len: bigint, prot: number, flags: number, fd: number, off: bigint): bigint {
  const mm = ctx.task.mm;
  if (len === 0n) throw new Errno(E.EINVAL);
  if (off & (PAGE - 1n)) throw new Errno(E.EINVAL);
  if ((flags & (MAP_SHARED | MAP_PRIVATE)) === 0) throw new Errno(E.EINVAL);
  if (prot & ~(PROT_READ | PROT_WRITE | PROT_EXEC)) throw new Errno(E.EINVAL);
  const size = pageUp(len);
  if (size > mm.layout.taskSize) throw new Errno(E.ENOMEM);
  const file = flags & MAP_ANONYMOUS ? undefined : ctx.task.files.get(fd);
  if (!(flags & MAP_ANONYMOUS) && !file) throw new Errno(E.EBADF);
  // file_mmap_ok: the mapping must end below the largest file offset (MAX_LFS_FILESIZE)
  if (file && off / PAGE + size / PAGE > 0x7fffffffffffffffn / PAGE) throw new Errno(E.EOVERFLOW);
  const backing = file ? fileBacking(file, off / PAGE, (flags & MAP_SHARED) !== 0) : undefined;
  if (backing?.filemap && backing.shared && prot & PROT_WRITE) {
    // Writing back to the file through memory is not modelled: refuse rather than lose data.
    throw new Errno(E.ENODEV, "shared writable file mappings are not supported");
  }
  let start: bigint;
  if (flags & (MAP_FIXED | MAP_FIXED_NOREPLACE)) {
    if (addr & (PAGE - 1n)) throw new Errno(E.EINVAL);
    if (addr + size > mm.layout.taskSize) throw new Errno(E.ENOMEM);
    if (flags & MAP_FIXED_NOREPLACE && !mm.isFree(addr, addr + size)) throw new Errno(E.EEXIST);
    start = addr;
  } else if (addr && pageDown(addr) >= mm.layout.mmapMin && pageDown(addr) + size <= mm.layout.taskSize && mm.isFree(pageDown(addr), pageDown(addr) + size)) {
    start = pageDown(addr); // the hint is free: take it, as Linux does
  } else {
    start = mm.getUnmappedArea(size);
  }
  // accountable_mapping: MAP_NORESERVE areas are not charged to the commit total, as under
  // Linux's default overcommit heuristic (the model otherwise commits strictly, mm_struct.ts);
  // a shared file mapping is never charged (its pages are the file's)
  const account = (prot & PROT_WRITE) !== 0 && !(flags & MAP_NORESERVE) && !backing?.shared;
  mm.mapRegion(start, size, prot, file?.path ?? "", account, backing);
  return start;
}

function mmap(ctx: SyscallContext, a: readonly bigint[], pgoff: boolean): bigint | number {
  const off = pgoff ? ulong(ctx, a[5]) * PAGE : a[5];
  try {
    return doMmap(ctx, ulong(ctx, a[0]), ulong(ctx, a[1]), int(a[2]), int(a[3]), int(a[4]), off);
  } catch (e) {
    if (e instanceof Errno) return -e.errno;
    throw e;
  }
}

export const mmapFamily: SyscallFamily = {
  /** x86-64 mmap: the offset is in bytes. */
  sys_mmap: (ctx, a) => mmap(ctx, a, false),
  /** i386 mmap2: the offset is in pages. */
  sys_mmap_pgoff: (ctx, a) => mmap(ctx, a, true),
  /** i386's old mmap: one pointer to struct mmap_arg_struct {addr, len, prot, flags, fd, offset}. */
  sys_old_mmap: (ctx, a) => {
    const b = ctx.mem.read(a[0], 24);
    const v = [0, 1, 2, 3, 4, 5].map((i) => BigInt(b.readUInt32LE(i * 4)));
    return mmap(ctx, v, false);
  },
  sys_munmap: (ctx, a) => {
    const addr = a[0], len = ulong(ctx, a[1]);
    // do_vmi_munmap: the range must lie below TASK_SIZE (a huge length would otherwise take the
    // stack and the vDSO with it)
    const taskSize = ctx.task.mm.layout.taskSize;
    if (addr & (PAGE - 1n) || len === 0n || addr > taskSize || len > taskSize - addr) return -E.EINVAL;
    ctx.task.mm.unmapRegion(addr, len);
    return 0;
  },
  sys_mprotect: (ctx, a) => {
    const addr = a[0], len = ulong(ctx, a[1]), prot = int(a[2]);
    if (addr & (PAGE - 1n)) return -E.EINVAL;
    if (prot & ~(PROT_READ | PROT_WRITE | PROT_EXEC | 0x01000000 /* PROT_GROWSDOWN */)) return -E.EINVAL;
    if (len === 0n) return 0;
    ctx.task.mm.protectRegion(addr, len, prot & 7);
    return 0;
  },
  sys_brk: (ctx, a) => {
    // mm/mmap.c SYSCALL_DEFINE1(brk): the answer is always the (possibly unchanged) break
    const mm = ctx.task.mm;
    const want = ulong(ctx, a[0]);
    if (want < mm.startBrk) return mm.brk;
    const oldEnd = pageUp(mm.brk), newEnd = pageUp(want);
    if (newEnd > oldEnd) {
      if (!mm.isFree(oldEnd, newEnd)) return mm.brk;
      const limit = BigInt(mm.phys.size);
      if (newEnd - mm.startBrk > limit) return mm.brk;
      try {
        mm.mapRegion(oldEnd, newEnd - oldEnd, PROT_READ | PROT_WRITE, "[heap]");
      } catch (e) {
        if (e instanceof Errno && e.errno === E.ENOMEM) return mm.brk; // over the commit limit
        throw e;
      }
      mergeHeap(ctx);
    } else if (newEnd < oldEnd) {
      mm.unmapRegion(newEnd, oldEnd - newEnd);
    }
    mm.brk = want;
    return mm.brk;
  },
  sys_mremap: (ctx, a) => {
    const mm = ctx.task.mm;
    const old = a[0], oldLen = pageUp(ulong(ctx, a[1])), newLen = pageUp(ulong(ctx, a[2])), flags = int(a[3]);
    if (old & (PAGE - 1n) || newLen === 0n || flags & ~(MREMAP_MAYMOVE | MREMAP_FIXED | 4)) return -E.EINVAL;
    const vma = mm.findVma(old);
    if (!vma || old + oldLen > vma.end) return -E.EFAULT;
    if (newLen <= oldLen) {
      if (newLen < oldLen) mm.unmapRegion(old + newLen, oldLen - newLen);
      return old;
    }
    if (mm.isFree(old + oldLen, old + newLen) && old + newLen <= mm.layout.taskSize) {
      // the growth is charged like the area it extends (ENOMEM past the commit limit)
      mm.mapRegion(old + oldLen, newLen - oldLen, vma.prot, vma.name, vma.accounted ?? false, mm.backingOf(vma, old + oldLen));
      return old;
    }
    if (!(flags & MREMAP_MAYMOVE)) return -E.ENOMEM;
    // move: the frames go with their page table entries, only the growth is charged
    const to = mm.getUnmappedArea(newLen);
    mm.moveRegion(old, oldLen, to, newLen);
    return to;
  },
  sys_madvise: partial("only MADV_DONTNEED acts, on anonymous memory; the other advice is accepted and ignored",
    (ctx, a) => doMadvise(ctx, a[0], ulong(ctx, a[1]), int(a[2]))),
  sys_msync: () => 0,
  sys_mlock: () => 0,
  sys_munlock: () => 0,
};

/**
 * madvise: every advice is a hint the model may ignore except MADV_DONTNEED, which drops the pages
 * of the range (zap_page_range) so that the next touch finds a zero page in anonymous memory (what
 * allocators and Go's scavenger rely on) and the file's page in a file mapping, a private mapping's
 * changes gone; the vDSO's pages stay. MADV_REMOVE needs a shared writable mapping, which the model has not.
 */
function doMadvise(ctx: SyscallContext, start: bigint, len: bigint, advice: number): number {
  const valid = (advice >= MADV_NORMAL && advice <= 4) || (advice >= MADV_FREE && advice <= MADV_COLLAPSE);
  if (!valid || advice === MADV_REMOVE) return -E.EINVAL;
  if (start & (PAGE - 1n)) return -E.EINVAL;
  const end = pageUp(start + len);
  if (end < start) return -E.EINVAL;
  if (end === start) return 0;
  const mm = ctx.task.mm;
  // like Linux, the advice applies to the mapped parts and a hole in the range is ENOMEM
  let hole = false;
  let dropped = false;
  for (let addr = start; addr < end; ) {
    const v = mm.findVma(addr);
    if (!v) {
      hole = true;
      const next = mm.vmas.find((x) => x.start > addr);
      addr = next ? next.start : end;
      continue;
    }
    const stop = v.end < end ? v.end : end;
    if (advice === MADV_DONTNEED && !v.special) {
      mm.pgd.zapRange(addr, stop, (_p, pa) => { // zap_page_range
        mm.phys.putPage(pa);
        dropped = true;
      });
    }
    addr = stop;
  }
  if (dropped) mm.onTlbFlush(false);
  return hole ? -E.ENOMEM : 0;
}

/** Keeps the heap one area, as the kernel's vma merging would. */
function mergeHeap(ctx: SyscallContext): void {
  const v = ctx.task.mm.vmas;
  for (let i = v.length - 1; i > 0; i--) {
    if (v[i - 1].end === v[i].start && v[i - 1].name === "[heap]" && v[i].name === "[heap]" && v[i - 1].prot === v[i].prot && v[i - 1].accounted === v[i].accounted) {
      v[i - 1].end = v[i].end;
      v.splice(i, 1);
    }
  }
}
