// kernel/futex/: fast user-space mutexes. A futex is a 32-bit word in user memory; the kernel
// only keeps queues of the tasks sleeping on one, keyed by where the word is (get_futex_key).
//
// FUTEX_WAIT sleeps only while the word still holds the value the caller saw (the check and the
// queueing happen together, so no wake between them is lost); FUTEX_WAKE wakes up to n sleepers.
// REQUEUE / CMP_REQUEUE move sleepers from one word to another, WAKE_OP changes a second word and
// wakes on both, the _BITSET variants wake only sleepers whose bitset intersects the waker's.
//
// How a sleep works in this model: the service routine queues a futex_q for the task and throws
// WouldBlock; the entry code rewinds the task to its syscall instruction, so the call runs again
// when the task is woken. That second run finds the task's futex_q and answers from it: 0 when a
// waker took it off the queue (futex_wake_mark), ETIMEDOUT when its deadline passed, and it takes
// itself off the queue before a signal is delivered (EINTR or a restart, as in futex_wait).
//
// Keys: every futex is keyed by (mm, address). For private futexes that is Linux's key; shared
// ones are keyed by the page's inode or physical page in Linux, which only differs for memory
// shared between address spaces (MAP_SHARED), and the model has none yet.

import { E, Errno } from "../../errno.js";
import type { MmStruct } from "../../mm/mm_struct.js";
import { nextSignal } from "../../sched/signal.js";
import type { Task } from "../../sched/task.js";
import { WaitQueue, WouldBlock } from "../../sched/wait.js";
import { partial } from "../support.js";
import type { SyscallContext, SyscallFamily } from "../types.js";
import { int, uint } from "../types.js";
import { clockNs, readTimespec } from "./time.js";
import { abiLayout } from "../../uapi/abi.js";
import {
  FUTEX_BITSET_MATCH_ANY, FUTEX_CLOCK_REALTIME, FUTEX_CMD_MASK, FUTEX_CMP_REQUEUE, FUTEX_CMP_REQUEUE_PI, FUTEX_FD, FUTEX_LOCK_PI, FUTEX_LOCK_PI2, FUTEX_OP_ADD, FUTEX_OP_ANDN, FUTEX_OP_CMP_EQ, FUTEX_OP_CMP_GE, FUTEX_OP_CMP_GT, FUTEX_OP_CMP_LE, FUTEX_OP_CMP_LT, FUTEX_OP_CMP_NE, FUTEX_OP_OPARG_SHIFT, FUTEX_OP_OR, FUTEX_OP_SET, FUTEX_OP_XOR, FUTEX_OWNER_DIED, FUTEX_REQUEUE, FUTEX_TID_MASK, FUTEX_TRYLOCK_PI, FUTEX_UNLOCK_PI, FUTEX_WAIT, FUTEX_WAITERS, FUTEX_WAIT_BITSET, FUTEX_WAIT_REQUEUE_PI, FUTEX_WAKE, FUTEX_WAKE_BITSET, FUTEX_WAKE_OP,
} from "../../uapi/linux/futex.js";
import { CLOCK_MONOTONIC, CLOCK_REALTIME } from "../../uapi/linux/time.js";

/** struct futex_q: one sleeper on one futex word. */
interface FutexQ {
  readonly task: Task;
  mm: MmStruct;
  /** The word it sleeps on now (a requeue moves it) and the one its call named. */
  uaddr: bigint;
  readonly waitedOn: bigint;
  readonly bitset: number;
  /** Woken by futex_wake and friends (taken off the queue). */
  woken: boolean;
  /** CLOCK_MONOTONIC ns at which the sleep ends with ETIMEDOUT. */
  readonly deadline: bigint | undefined;
  /** The queue the scheduler sleeps the task on: one per sleeper, so a wake is exact. */
  readonly wq: WaitQueue;
}

/** futex_queues, the hash of sleepers: per address space, per word, in arrival order. */
const futexQueues = new WeakMap<MmStruct, Map<bigint, FutexQ[]>>();
/** The futex_q of the call a task sleeps in (Linux keeps it on the sleeper's kernel stack). */
const sleeping = new WeakMap<Task, FutexQ>();

function bucket(mm: MmStruct, uaddr: bigint, create: boolean): FutexQ[] | undefined {
  let words = futexQueues.get(mm);
  if (!words) {
    if (!create) return undefined;
    futexQueues.set(mm, (words = new Map()));
  }
  let q = words.get(uaddr);
  if (!q && create) words.set(uaddr, (q = []));
  return q;
}

function unqueue(q: FutexQ): void {
  const words = futexQueues.get(q.mm);
  const list = words?.get(q.uaddr);
  if (list) {
    const i = list.indexOf(q);
    if (i >= 0) list.splice(i, 1);
    if (list.length === 0) words!.delete(q.uaddr);
  }
  if (sleeping.get(q.task) === q) sleeping.delete(q.task);
}

/** A sleeper whose task is gone (killed while asleep) no longer counts. */
const alive = (q: FutexQ) => q.task.state === "runnable" || q.task.state === "blocked";

/** futex_wake_mark: off the queue, marked woken, and the task made runnable. */
function wakeOne(q: FutexQ): void {
  const words = futexQueues.get(q.mm);
  const list = words?.get(q.uaddr);
  if (list) {
    list.splice(list.indexOf(q), 1);
    if (list.length === 0) words!.delete(q.uaddr);
  }
  q.woken = true;
  q.wq.wake();
}

/**
 * futex_wake: wakes up to `n` sleepers on (mm, uaddr) whose bitset shares a bit with `bitset`;
 * returns how many. Also what exit does for CLONE_CHILD_CLEARTID (mm_release).
 */
export function futexWake(mm: MmStruct, uaddr: bigint, n: number, bitset = FUTEX_BITSET_MATCH_ANY): number {
  const list = bucket(mm, uaddr, false);
  if (!list) return 0;
  let woken = 0;
  for (const q of [...list]) {
    if (woken >= n) break;
    if (!alive(q)) { unqueue(q); continue; }
    if ((q.bitset & bitset) === 0) continue;
    wakeOne(q);
    woken++;
  }
  return woken;
}

// the robust-futex word: the owner's tid, and two flag bits the kernel and the libc share
/** ROBUST_LIST_LIMIT: a walk stops after this many entries (a list that loops). */
const ROBUST_LIST_LIMIT = 2048;

/**
 * exit_robust_list: the locks on a dead thread's robust list (set_robust_list) that it still owns
 * get FUTEX_OWNER_DIED, and one sleeper on each is woken, so the next locker sees EOWNERDEAD
 * instead of waiting forever. struct robust_list_head {list; long futex_offset; list_op_pending},
 * pointers of the task's ABI; bit 0 of an entry pointer marks a PI futex.
 */
export function exitRobustList(task: Task): void {
  const { head } = task.robustList;
  if (!head) return;
  const layout = abiLayout(task.abi), w = layout.long;
  const mm = task.mm;
  const ptr = (addr: bigint) => layout.getULong(mm, addr);
  const handleDeath = (entry: bigint, offset: bigint, pending: boolean) => {
    const uaddr = BigInt.asUintN(w * 8, (entry & ~1n) + offset);
    if (uaddr & 3n) return;
    const val = mm.read(uaddr, 4).readUInt32LE(0);
    if ((val & FUTEX_TID_MASK) !== task.pid) {
      // an operation that never took the lock: a sleeper may still wait for the word (Linux 5.6+)
      if (pending && !(entry & 1n) && val === 0) futexWake(mm, uaddr, 1);
      return;
    }
    const b = Buffer.alloc(4);
    b.writeUInt32LE(((val & FUTEX_WAITERS) | FUTEX_OWNER_DIED) >>> 0);
    mm.write(uaddr, b);
    if (!(entry & 1n)) futexWake(mm, uaddr, 1);
  };
  try {
    const offset = w === 8 ? BigInt.asIntN(64, ptr(head + 8n)) : BigInt.asIntN(32, ptr(head + 4n));
    const pending = ptr(head + BigInt(2 * w));
    let entry = ptr(head);
    for (let n = 0; entry !== head && n < ROBUST_LIST_LIMIT; n++) {
      const next = ptr(entry & ~1n);
      if (entry !== pending) handleDeath(entry, offset, false);
      entry = next;
    }
    if (pending) handleDeath(pending, offset, true);
  } catch { /* an unreadable list ends the walk, as the kernel's fetch_robust_entry does */ }
}

/** get_futex_key's checks: a 4-byte aligned user address (EINVAL), inside the user range (EFAULT). */
function checkAddr(ctx: SyscallContext, uaddr: bigint): void {
  if (uaddr & 3n) throw new Errno(E.EINVAL);
  if (uaddr + 4n > ctx.task.mm.layout.taskSize) throw new Errno(E.EFAULT);
}

/** get_futex_value_locked: the word, or EFAULT where nothing is mapped. */
function readWord(ctx: SyscallContext, uaddr: bigint): number {
  return ctx.mem.read(uaddr, 4).readUInt32LE(0);
}

/**
 * The deadline of a wait as CLOCK_MONOTONIC ns: FUTEX_WAIT's timeout is relative, WAIT_BITSET's
 * absolute on CLOCK_MONOTONIC, or on CLOCK_REALTIME with FUTEX_CLOCK_REALTIME.
 */
function waitDeadline(ctx: SyscallContext, cmd: number, flags: number, utime: bigint, wide: boolean): bigint | undefined {
  if (!utime) return undefined;
  const t = readTimespec(ctx, utime, wide);
  const mono = ctx.task.kernel.monotonicNs();
  if (cmd === FUTEX_WAIT) return mono + t;
  const now = clockNs(ctx, flags & FUTEX_CLOCK_REALTIME ? CLOCK_REALTIME : CLOCK_MONOTONIC)!;
  return mono + (t - now);
}

/** futex_wait: see the file comment for how the sleep and its second run fit together. */
function futexWait(ctx: SyscallContext, uaddr: bigint, val: number, bitset: number, deadline: () => bigint | undefined): number {
  const task = ctx.task;
  if (bitset === 0) throw new Errno(E.EINVAL);
  checkAddr(ctx, uaddr);
  const q = sleeping.get(task);
  if (q && (q.mm !== task.mm || q.waitedOn !== uaddr)) unqueue(q); // left over from a call that did not come back
  else if (q) {
    // the call runs again: woken, timed out, interrupted, or a spurious run
    if (q.woken) {
      sleeping.delete(task);
      return 0;
    }
    if (q.deadline !== undefined && task.kernel.monotonicNs() >= q.deadline) {
      unqueue(q);
      throw new Errno(E.ETIMEDOUT);
    }
    if (nextSignal(task)) {
      unqueue(q); // the entry code now gives EINTR or restarts the call after the handler
      throw new WouldBlock([task.signalWait], "futex");
    }
    throw new WouldBlock([q.wq], "futex", q.deadline);
  }
  // futex_wait_setup: the value check and the queueing are one step
  const cur = readWord(ctx, uaddr);
  if (cur !== val) throw new Errno(E.EAGAIN);
  const d = deadline();
  if (d !== undefined && task.kernel.monotonicNs() >= d) throw new Errno(E.ETIMEDOUT);
  if (nextSignal(task)) throw new WouldBlock([task.signalWait], "futex"); // not queued: the signal goes first
  const nq: FutexQ = { task, mm: task.mm, uaddr, waitedOn: uaddr, bitset, woken: false, deadline: d, wq: new WaitQueue() };
  bucket(task.mm, uaddr, true)!.push(nq);
  sleeping.set(task, nq);
  throw new WouldBlock([nq.wq], "futex", d);
}

/**
 * futex_requeue: wakes up to nrWake sleepers of uaddr1 and moves up to nrRequeue more to uaddr2;
 * with a `cmpval` (CMP_REQUEUE) only while uaddr1 still holds it. Returns woken + moved.
 */
function futexRequeue(ctx: SyscallContext, uaddr1: bigint, uaddr2: bigint, nrWake: number, nrRequeue: number, cmpval?: number): number {
  checkAddr(ctx, uaddr1);
  checkAddr(ctx, uaddr2);
  if (nrWake < 0 || nrRequeue < 0) throw new Errno(E.EINVAL);
  if (cmpval !== undefined && readWord(ctx, uaddr1) !== cmpval) throw new Errno(E.EAGAIN);
  const mm = ctx.task.mm;
  const from = bucket(mm, uaddr1, false);
  if (!from) return 0;
  let count = 0;
  for (const q of [...from]) {
    if (!alive(q)) { unqueue(q); continue; }
    if (count - nrWake >= nrRequeue) break;
    if (++count <= nrWake) { wakeOne(q); continue; }
    // requeue_futex: the sleeper now waits on the second word
    from.splice(from.indexOf(q), 1);
    q.uaddr = uaddr2;
    bucket(mm, uaddr2, true)!.push(q);
  }
  if (from.length === 0) futexQueues.get(mm)?.delete(uaddr1);
  return count;
}

const signExtend12 = (v: number) => (v << 20) >> 20;

/**
 * futex_wake_op: *uaddr2 = oldval OP oparg; wake nrWake on uaddr1, and nrWake2 on uaddr2 if
 * oldval CMP cmparg held (what glibc's condition variables once used to unlock and signal at once).
 */
function futexWakeOp(ctx: SyscallContext, uaddr1: bigint, uaddr2: bigint, nrWake: number, nrWake2: number, encoded: number): number {
  checkAddr(ctx, uaddr1);
  checkAddr(ctx, uaddr2);
  let op = (encoded >>> 28) & 0xf;
  const cmp = (encoded >>> 24) & 0xf;
  let oparg = signExtend12(encoded >>> 12);
  const cmparg = signExtend12(encoded);
  if (op & FUTEX_OP_OPARG_SHIFT) {
    if (oparg < 0 || oparg > 31) oparg &= 31; // arch_futex_atomic_op_inuser masks the shift
    oparg = 1 << oparg;
    op &= ~FUTEX_OP_OPARG_SHIFT;
  }
  const oldval = readWord(ctx, uaddr2) | 0;
  let nv: number;
  switch (op) {
    case FUTEX_OP_SET: nv = oparg; break;
    case FUTEX_OP_ADD: nv = oldval + oparg; break;
    case FUTEX_OP_OR: nv = oldval | oparg; break;
    case FUTEX_OP_ANDN: nv = oldval & ~oparg; break;
    case FUTEX_OP_XOR: nv = oldval ^ oparg; break;
    default: throw new Errno(E.ENOSYS);
  }
  let hit: boolean;
  switch (cmp) {
    case FUTEX_OP_CMP_EQ: hit = oldval === cmparg; break;
    case FUTEX_OP_CMP_NE: hit = oldval !== cmparg; break;
    case FUTEX_OP_CMP_LT: hit = oldval < cmparg; break;
    case FUTEX_OP_CMP_LE: hit = oldval <= cmparg; break;
    case FUTEX_OP_CMP_GT: hit = oldval > cmparg; break;
    case FUTEX_OP_CMP_GE: hit = oldval >= cmparg; break;
    default: throw new Errno(E.ENOSYS);
  }
  const b = Buffer.alloc(4);
  b.writeUInt32LE(nv >>> 0);
  ctx.mem.write(uaddr2, b); // EFAULT for a read-only word, as the atomic op would fault
  const mm = ctx.task.mm;
  let woken = futexWake(mm, uaddr1, nrWake);
  if (hit) woken += futexWake(mm, uaddr2, nrWake2);
  return woken;
}

/**
 * do_futex. `wide` says which struct timespec the timeout is: 64-bit fields for x86-64's futex
 * and i386's futex_time64, 32-bit for i386's futex. For REQUEUE, CMP_REQUEUE and WAKE_OP the
 * timeout argument carries a count instead (val2).
 */
function doFutex(ctx: SyscallContext, a: readonly bigint[], wide: boolean): number {
  const uaddr = a[0], opArg = int(a[1]), val = uint(a[2]), utime = a[3], uaddr2 = a[4], val3 = uint(a[5]);
  const cmd = opArg & FUTEX_CMD_MASK;
  // FUTEX_CLOCK_REALTIME only means something to the waits that take a timeout
  if (opArg & FUTEX_CLOCK_REALTIME && cmd !== FUTEX_WAIT && cmd !== FUTEX_WAIT_BITSET && cmd !== FUTEX_WAIT_REQUEUE_PI && cmd !== FUTEX_LOCK_PI2) {
    throw new Errno(E.ENOSYS);
  }
  const val2 = Number(BigInt.asIntN(32, utime));
  switch (cmd) {
    case FUTEX_WAIT:
      return futexWait(ctx, uaddr, val, FUTEX_BITSET_MATCH_ANY, () => waitDeadline(ctx, cmd, opArg, utime, wide));
    case FUTEX_WAIT_BITSET:
      return futexWait(ctx, uaddr, val, val3, () => waitDeadline(ctx, cmd, opArg, utime, wide));
    case FUTEX_WAKE:
      checkAddr(ctx, uaddr);
      return futexWake(ctx.task.mm, uaddr, val);
    case FUTEX_WAKE_BITSET:
      checkAddr(ctx, uaddr);
      if (val3 === 0) throw new Errno(E.EINVAL);
      return futexWake(ctx.task.mm, uaddr, val, val3);
    case FUTEX_REQUEUE:
      return futexRequeue(ctx, uaddr, uaddr2, val | 0, val2);
    case FUTEX_CMP_REQUEUE:
      return futexRequeue(ctx, uaddr, uaddr2, val | 0, val2, val3);
    case FUTEX_WAKE_OP:
      return futexWakeOp(ctx, uaddr, uaddr2, val | 0, val2, val3);
    // the priority-inheritance operations (PTHREAD_PRIO_INHERIT mutexes) are not modelled;
    // FUTEX_FD was removed from Linux in 2.6.26
    case FUTEX_LOCK_PI: case FUTEX_UNLOCK_PI: case FUTEX_TRYLOCK_PI: case FUTEX_WAIT_REQUEUE_PI:
    case FUTEX_CMP_REQUEUE_PI: case FUTEX_LOCK_PI2: case FUTEX_FD:
    default:
      throw new Errno(E.ENOSYS);
  }
}

const MISSING = "the priority-inheritance operations (FUTEX_LOCK_PI, UNLOCK_PI, TRYLOCK_PI, *_REQUEUE_PI) answer ENOSYS";

export const futexFamily: SyscallFamily = {
  // x86-64's futex and i386's futex_time64
  sys_futex: partial(MISSING, (ctx, a) => doFutex(ctx, a, true)),
  // i386's futex: struct old_timespec32
  sys_futex_time32: partial(MISSING, (ctx, a) => doFutex(ctx, a, false)),
};
