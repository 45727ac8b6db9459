// futex between tasks that share an address space (kernel-model/syscalls/kernel/futex.ts), driven
// as the entry code drives it: a call that throws WouldBlock puts its task to sleep on the given
// queues and runs again once woken. What a single thread can see is compared with native runs in
// corpus.test.ts (sync-calls.c); this file covers the sleepers and wakers, which need two tasks.
import { describe, expect, it } from "vitest";
import { E } from "../../kernel-model/errno.js";
import { MmStruct } from "../../kernel-model/mm/mm_struct.js";
import { PhysMem } from "../../kernel-model/mm/phys.js";
import { Scheduler } from "../../kernel-model/sched/scheduler.js";
import { sigmask } from "../../kernel-model/sched/signal.js";
import { Task } from "../../kernel-model/sched/task.js";
import { WouldBlock } from "../../kernel-model/sched/wait.js";
import {
  FUTEX_BITSET_MATCH_ANY, FUTEX_CMP_REQUEUE, FUTEX_OP, FUTEX_OP_ADD, FUTEX_OP_CMP_EQ, FUTEX_PRIVATE_FLAG, FUTEX_WAIT,
  FUTEX_WAIT_BITSET, FUTEX_WAKE, FUTEX_WAKE_BITSET, FUTEX_WAKE_OP,
} from "../../kernel-model/uapi/linux/futex.js";
import { futexFamily } from "../../kernel-model/syscalls/kernel/futex.js";
import type { SyscallArgs, SyscallContext } from "../../kernel-model/syscalls/types.js";
import { Errno } from "../../kernel-model/errno.js";
import { PROT_READ, PROT_WRITE } from "../../kernel-model/uapi/asm-generic/mman-common.js";
import { SIGUSR1 } from "../../kernel-model/uapi/asm/signal.js";

const BASE = 0x10000000n;
const A = BASE, B = BASE + 4n;

/** n tasks of one thread group sharing one mm, a scheduler and a clock the test moves. */
function group(n: number) {
  const mm = new MmStruct(new PhysMem(8 << 20), { taskSize: 0x7ffffffff000n, mmapBase: 0x7f0000000000n, mmapMin: 0x10000n });
  mm.mapRegion(BASE, 0x1000n, PROT_READ | PROT_WRITE);
  const sched = new Scheduler(100);
  let clock = 1_000_000_000n;
  const kernel = { sched, monotonicNs: () => clock, realtimeNs: () => clock + 1_700_000_000_000_000_000n };
  const cred = { uid: 0, gid: 0, euid: 0, egid: 0, suid: 0, sgid: 0, fsuid: 0, fsgid: 0 };
  const tasks = Array.from({ length: n }, (_, i) => {
    const t = new Task(kernel as never, "x86_64", mm, {} as never, {} as never, cred, { pid: 100 + i, ppid: 1 }, `t${i}`);
    sched.add(t);
    return t;
  });
  const setWord = (addr: bigint, v: number) => { const b = Buffer.alloc(4); b.writeUInt32LE(v); mm.write(addr, b); };
  const word = (addr: bigint) => mm.readU32(addr);
  /** futex(2) as `task` makes it: a number (or -errno), or "asleep" when the task went to sleep. */
  const futex = (task: Task, op: number, ...rest: (number | bigint)[]): number | "asleep" => {
    const ctx = { abi: "x86_64", task, mem: mm } as unknown as SyscallContext;
    const args = [...rest.map(BigInt), 0n, 0n, 0n, 0n, 0n].slice(0, 5);
    try {
      return Number(futexFamily.sys_futex(ctx, [args[0], BigInt(op), ...args.slice(1)] as unknown as SyscallArgs));
    } catch (e) {
      if (e instanceof Errno) return -e.errno;
      if (!(e instanceof WouldBlock)) throw e;
      sched.block(task, e.queues, e.deadline);
      return "asleep";
    }
  };
  return { mm, sched, tasks, setWord, word, futex, advance: (ns: bigint) => { clock += ns; sched.fireTimers(clock); } };
}

const WAIT = FUTEX_WAIT | FUTEX_PRIVATE_FLAG, WAKE = FUTEX_WAKE | FUTEX_PRIVATE_FLAG;

describe("futex between the tasks of one address space", () => {
  it("WAIT sleeps while the word holds the value; WAKE wakes it and its call then answers 0 (no lost wake-up)", () => {
    const g = group(2);
    const [w, k] = g.tasks;
    g.setWord(A, 1);
    expect(g.futex(w, WAIT, A, 2)).toBe(-E.EAGAIN); // the value changed before the sleep
    expect(g.futex(w, WAIT, A, 1)).toBe("asleep");
    expect(w.state).toBe("blocked");
    // the waker does not change the word: the sleeper must still come back with 0
    expect(g.futex(k, WAKE, A, 1)).toBe(1);
    expect(w.state).toBe("runnable");
    expect(g.futex(w, WAIT, A, 1)).toBe(0);
    expect(g.futex(k, WAKE, A, 1)).toBe(0); // nobody left
  });

  it("WAKE n wakes the first n sleepers in the order they came", () => {
    const g = group(4);
    const [a, b, c, k] = g.tasks;
    for (const t of [a, b, c]) expect(g.futex(t, WAIT, A, 0)).toBe("asleep");
    expect(g.futex(k, WAKE, A, 1)).toBe(1);
    expect([a.state, b.state, c.state]).toEqual(["runnable", "blocked", "blocked"]);
    expect(g.futex(k, WAKE, A, 0x7fffffff)).toBe(2);
    expect([b.state, c.state]).toEqual(["runnable", "runnable"]);
  });

  it("a sleeper that is woken again without a waker (a spurious run) goes back to sleep", () => {
    const g = group(2);
    const [w, k] = g.tasks;
    expect(g.futex(w, WAIT, A, 0)).toBe("asleep");
    g.sched.wake(w);
    expect(g.futex(w, WAIT, A, 0)).toBe("asleep");
    expect(g.futex(k, WAKE, A, 1)).toBe(1);
    expect(g.futex(w, WAIT, A, 0)).toBe(0);
  });

  it("WAKE_BITSET wakes only sleepers whose bitset shares a bit", () => {
    const g = group(3);
    const [one, two, k] = g.tasks;
    expect(g.futex(one, FUTEX_WAIT_BITSET, A, 0, 0, 0, 1)).toBe("asleep");
    expect(g.futex(two, FUTEX_WAIT_BITSET, A, 0, 0, 0, 2)).toBe("asleep");
    expect(g.futex(k, FUTEX_WAKE_BITSET, A, 10, 0, 0, 2)).toBe(1);
    expect([one.state, two.state]).toEqual(["blocked", "runnable"]);
    expect(g.futex(k, FUTEX_WAKE_BITSET, A, 10, 0, 0, FUTEX_BITSET_MATCH_ANY)).toBe(1);
    expect(one.state).toBe("runnable");
  });

  it("CMP_REQUEUE wakes some, moves some to the other word, and answers both counts", () => {
    const g = group(4);
    const [a, b, c, k] = g.tasks;
    g.setWord(A, 5);
    for (const t of [a, b, c]) expect(g.futex(t, WAIT, A, 5)).toBe("asleep");
    expect(g.futex(k, FUTEX_CMP_REQUEUE, A, 1, 1, B, 4)).toBe(-E.EAGAIN);
    expect(g.futex(k, FUTEX_CMP_REQUEUE, A, 1, 1, B, 5)).toBe(2);
    expect([a.state, b.state, c.state]).toEqual(["runnable", "blocked", "blocked"]);
    // b now sleeps on B: a wake of B reaches it, and its call answers 0
    expect(g.futex(k, WAKE, B, 1)).toBe(1);
    expect(b.state).toBe("runnable");
    expect(g.futex(b, WAIT, A, 5)).toBe(0);
    expect(g.futex(k, WAKE, A, 5)).toBe(1); // c stayed on A
    expect(c.state).toBe("runnable");
  });

  it("WAKE_OP changes the second word and wakes on both words when the comparison holds", () => {
    const g = group(3);
    const [a, b, k] = g.tasks;
    g.setWord(B, 7);
    expect(g.futex(a, WAIT, A, 0)).toBe("asleep");
    expect(g.futex(b, WAIT, B, 7)).toBe("asleep");
    expect(g.futex(k, FUTEX_WAKE_OP, A, 1, 1, B, FUTEX_OP(FUTEX_OP_ADD, 1, FUTEX_OP_CMP_EQ, 7))).toBe(2);
    expect(g.word(B)).toBe(8);
    expect([a.state, b.state]).toEqual(["runnable", "runnable"]);
  });

  it("a timed WAIT ends with ETIMEDOUT when its deadline passes, and leaves the queue", () => {
    const g = group(2);
    const [w, k] = g.tasks;
    const ts = BASE + 0x100n;
    const b = Buffer.alloc(16);
    b.writeBigInt64LE(0n, 0);
    b.writeBigInt64LE(2_000_000n, 8); // 2 ms
    g.mm.write(ts, b);
    expect(g.futex(w, WAIT, A, 0, ts)).toBe("asleep");
    g.advance(1_000_000n);
    expect(w.state).toBe("blocked");
    g.advance(1_000_000n);
    expect(w.state).toBe("runnable");
    expect(g.futex(w, WAIT, A, 0, ts)).toBe(-E.ETIMEDOUT);
    expect(g.futex(k, WAKE, A, 1)).toBe(0);
  });

  it("a signal takes the sleeper off the queue before it is delivered", () => {
    const g = group(2);
    const [w, k] = g.tasks;
    expect(g.futex(w, WAIT, A, 0)).toBe("asleep");
    w.pending |= sigmask(SIGUSR1);
    g.sched.wake(w);
    expect(g.futex(w, WAIT, A, 0)).toBe("asleep"); // WouldBlock: the entry code sees the signal first
    expect(g.futex(k, WAKE, A, 1)).toBe(0);
  });

  it("an unmapped word is EFAULT, an unaligned one EINVAL", () => {
    const g = group(1);
    expect(g.futex(g.tasks[0], WAIT, 0x1000n, 0)).toBe(-E.EFAULT);
    expect(g.futex(g.tasks[0], WAIT, A + 2n, 0)).toBe(-E.EINVAL);
  });
});
