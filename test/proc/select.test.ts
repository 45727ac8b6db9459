// poll / ppoll / select / pselect6 (kernel-model/syscalls/fs/select.ts) called as the dispatcher
// calls them: readiness of pipes, regular files and stdio, the sleep (WouldBlock on the pipes'
// queues), timeouts (0: at once; finite with no other process able to run: the virtual clock
// moves by it), signal masks and EINTR, and the ABI layouts (fd_set of longs, timeval/timespec).
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { createPipe } from "../../kernel-model/fs/pipe.js";
import { Scheduler } from "../../kernel-model/sched/scheduler.js";
import { sigmask } from "../../kernel-model/sched/signal.js";
import { WouldBlock } from "../../kernel-model/sched/wait.js";
import { POLLERR, POLLHUP, POLLIN, POLLNVAL, POLLOUT, POLLRDNORM } from "../../kernel-model/uapi/asm-generic/poll.js";
import { allSyscalls } from "../../kernel-model/syscalls/index.js";
import { SyscallTable } from "../../kernel-model/syscalls/table.js";
import type { Abi } from "../../kernel-model/uapi/abi.js";
import { machine, tmpdir } from "../fs/helpers.js";
import { SIGUSR1 } from "../../kernel-model/uapi/asm/signal.js";

/** A task whose kernel has a scheduler and a virtual clock (what select.ts asks of it). */
function setup(abi: Abi) {
  const m = machine(abi, { mode: "host", cwd: tmpdir("sysgate-select-"), exe: { hostPath: "/bin/sh", guestPath: "/bin/sh" }, getRandomBytes: () => {} });
  const sched = new Scheduler(100);
  let clock = 0n;
  Object.assign(m.task.kernel, { sched, deterministic: true, monotonicNs: () => clock });
  sched.add(m.task);
  const pipe = () => {
    const [r, w] = createPipe(0);
    return { r, w, rfd: m.task.files.install(r), wfd: m.task.files.install(w) };
  };
  /** Runs the routine; a WouldBlock comes back as a value instead of a throw. */
  const call = (name: string, ...args: (number | bigint)[]): bigint | WouldBlock => {
    try {
      return m.sys(name, ...args);
    } catch (e) {
      if (e instanceof WouldBlock) return e;
      throw e;
    }
  };
  return { ...m, sched, clock: () => clock, advance: (ns: bigint) => { clock += ns; }, pipe, call };
}

function pollfds(m: ReturnType<typeof setup>, fds: [number, number][]): bigint {
  const b = Buffer.alloc(fds.length * 8);
  fds.forEach(([fd, ev], i) => { b.writeInt32LE(fd, i * 8); b.writeUInt16LE(ev, i * 8 + 4); b.writeUInt16LE(0xffff, i * 8 + 6); });
  const addr = m.mem.alloc(b.length);
  m.mem.write(addr, b);
  return addr;
}
const revents = (m: ReturnType<typeof setup>, addr: bigint, n: number) =>
  Array.from({ length: n }, (_, i) => m.mem.read(addr + BigInt(i * 8 + 6), 2).readUInt16LE(0));

for (const abi of ["x86_64", "i386"] as const) {
  describe(`poll family (${abi})`, () => {
    it("every name the syscall table uses has its routine", () => {
      const t = new SyscallTable(abi, allSyscalls);
      const names = abi === "x86_64" ? ["poll", "ppoll", "select", "pselect6"]
        : ["poll", "ppoll", "ppoll_time64", "select", "_newselect", "pselect6", "pselect6_time64"];
      for (const n of names) expect(t.lookup(n)?.impl, n).toBeTypeOf("function");
    });

    it("poll: an empty pipe is not readable, its write end is writable; timeout 0 answers at once", () => {
      const m = setup(abi);
      const p = m.pipe();
      const fds = pollfds(m, [[p.rfd, POLLIN], [p.wfd, POLLOUT]]);
      expect(m.call("sys_poll", fds, 2, 0)).toBe(1n);
      expect(revents(m, fds, 2)).toEqual([0, POLLOUT]);
      p.w.write(Buffer.from("x"));
      const fds2 = pollfds(m, [[p.rfd, POLLIN | POLLRDNORM]]);
      expect(m.call("sys_poll", fds2, 1, 0)).toBe(1n);
      expect(revents(m, fds2, 1)).toEqual([POLLIN | POLLRDNORM]);
    });

    it("poll: nothing ready and no timeout sleeps on the pipe's read queue, and a write wakes it", () => {
      const m = setup(abi);
      const p = m.pipe();
      const r = m.call("sys_poll", pollfds(m, [[p.rfd, POLLIN]]), 1, -1);
      expect(r).toBeInstanceOf(WouldBlock);
      expect((r as WouldBlock).queues).toContain(p.r.pipe.rdWait);
      m.sched.block(m.task, (r as WouldBlock).queues);
      expect(m.task.state).toBe("blocked");
      p.w.write(Buffer.from("data"));
      expect(m.task.state).toBe("runnable");
      // re-executed after the wake-up, the call finds the data
      expect(m.call("sys_poll", pollfds(m, [[p.rfd, POLLIN]]), 1, -1)).toBe(1n);
    });

    it("poll: POLLHUP after the last writer, POLLERR after the last reader (asked or not), POLLNVAL, fd -1 skipped", () => {
      const m = setup(abi);
      const a = m.pipe(), b = m.pipe();
      m.task.files.close(a.wfd);
      m.task.files.close(b.rfd);
      const fds = pollfds(m, [[a.rfd, POLLIN], [b.wfd, POLLOUT], [77, POLLIN], [-1, POLLIN]]);
      expect(m.call("sys_poll", fds, 4, -1)).toBe(3n);
      expect(revents(m, fds, 4)).toEqual([POLLHUP, POLLOUT | POLLERR, POLLNVAL, 0]);
    });

    it("poll: regular files and stdio are always ready", () => {
      const m = setup(abi);
      const dir = tmpdir("sysgate-select-file-");
      writeFileSync(join(dir, "f"), "abc");
      const fd = Number(m.sys("sys_openat", -100, m.mem.str(join(dir, "f")), 0 /* O_RDONLY: POLLOUT all the same, as DEFAULT_POLLMASK */, 0));
      expect(fd).toBeGreaterThan(2);
      const fds = pollfds(m, [[fd, POLLIN | POLLOUT], [1, POLLOUT]]);
      expect(m.call("sys_poll", fds, 2, -1)).toBe(2n);
      expect(revents(m, fds, 2)).toEqual([POLLIN | POLLOUT, POLLOUT]);
    });

    it("poll: a finite timeout sleeps until its deadline, then the re-executed call answers 0", () => {
      const m = setup(abi);
      const p = m.pipe();
      const fds = pollfds(m, [[p.rfd, POLLIN]]);
      const r = m.call("sys_poll", fds, 1, 250);
      expect(r).toBeInstanceOf(WouldBlock);
      expect((r as WouldBlock).queues).toEqual([p.r.pipe.rdWait]);
      expect((r as WouldBlock).deadline).toBe(250_000_000n);
      m.advance(100_000_000n);
      expect(m.call("sys_poll", fds, 1, 250)).toBeInstanceOf(WouldBlock); // still before the deadline
      m.advance(150_000_000n);
      expect(m.call("sys_poll", fds, 1, 250)).toBe(0n);
    });

    it("poll with nothing to watch and no timeout waits for a signal", () => {
      const m = setup(abi);
      const r = m.call("sys_poll", 0, 0, -1);
      expect(r).toBeInstanceOf(WouldBlock);
      expect((r as WouldBlock).queues).toEqual([m.task.signalWait]);
    });

    it("poll: a pending signal with a handler ends the wait with EINTR", () => {
      const m = setup(abi);
      m.task.sigactions.set(SIGUSR1, { handler: 0x401000n, flags: 0n, restorer: 0n, mask: 0n });
      m.task.pending |= sigmask(SIGUSR1);
      const p = m.pipe();
      expect(m.call("sys_poll", pollfds(m, [[p.rfd, POLLIN]]), 1, -1)).toBe(-4n);
    });

    const wide = abi === "x86_64";
    const ppollName = wide ? "sys_ppoll" : "sys_ppoll_time32";
    it(`${ppollName}: timespec of ${wide ? 64 : 32}-bit fields, zeroed on timeout; the mask applies during the call only`, () => {
      const m = setup(abi);
      const p = m.pipe();
      const ts = m.mem.alloc(16);
      const t = Buffer.alloc(wide ? 16 : 8);
      if (wide) { t.writeBigInt64LE(1n, 0); t.writeBigInt64LE(500n, 8); } else { t.writeInt32LE(1, 0); t.writeInt32LE(500, 4); }
      m.mem.write(ts, t);
      const mask = m.mem.alloc(8);
      m.mem.write(mask, Buffer.from(sigmask(SIGUSR1).toString(16).padStart(16, "0"), "hex").reverse());
      m.task.blocked = 0n;
      const fds = pollfds(m, [[p.rfd, POLLIN]]);
      const first = m.call(ppollName, fds, 1, ts, mask, 8);
      expect(first).toBeInstanceOf(WouldBlock); // asleep until the deadline, with the temporary mask
      expect((first as WouldBlock).deadline).toBe(1_000_000_500n);
      expect(m.task.blocked).toBe(sigmask(SIGUSR1));
      m.advance(1_000_000_500n);
      expect(m.call(ppollName, fds, 1, ts, mask, 8)).toBe(0n);
      expect(m.mem.read(ts, t.length).equals(Buffer.alloc(t.length))).toBe(true);
      expect(m.task.blocked).toBe(0n);
      expect(m.task.savedSigmask).toBeUndefined();
      expect(m.call(ppollName, pollfds(m, [[p.rfd, POLLIN]]), 1, ts, mask, 4)).toBe(-22n); // sigsetsize != 8
      // sleeping: the temporary mask stays in force until the call runs again
      const r = m.call(ppollName, pollfds(m, [[p.rfd, POLLIN]]), 1, 0, mask, 8);
      expect(r).toBeInstanceOf(WouldBlock);
      expect(m.task.blocked).toBe(sigmask(SIGUSR1));
      expect(m.task.savedSigmask).toBe(0n);
    });

    const long = wide ? 8 : 4;
    it(`select: fd_set as an array of ${long}-byte longs, rewritten to what is ready; EBADF; timeval zeroed on timeout`, () => {
      const m = setup(abi);
      const a = m.pipe(), b = m.pipe();
      a.w.write(Buffer.from("x")); // a readable, b not
      const n = Math.max(a.rfd, b.rfd, a.wfd) + 1;
      const setBytes = Math.ceil(n / (8 * long)) * long;
      const mkset = (fds: number[]) => {
        const addr = m.mem.alloc(64);
        const s = Buffer.alloc(64, 0xee); // guard bytes past the set must stay untouched
        s.fill(0, 0, setBytes);
        for (const fd of fds) s[fd >> 3] |= 1 << (fd & 7);
        m.mem.write(addr, s);
        return addr;
      };
      const rd = mkset([a.rfd, b.rfd]), wr = mkset([a.wfd]);
      expect(m.call("sys_select", n, rd, wr, 0, 0)).toBe(2n);
      const rs = m.mem.read(rd, 64), ws = m.mem.read(wr, 64);
      expect(rs[a.rfd >> 3] & (1 << (a.rfd & 7))).not.toBe(0);
      expect(rs[b.rfd >> 3] & (1 << (b.rfd & 7))).toBe(0);
      expect(ws[a.wfd >> 3] & (1 << (a.wfd & 7))).not.toBe(0);
      expect(rs.subarray(setBytes).every((x) => x === 0xee)).toBe(true);

      // only b: nothing ready; the timeval {0, 300000} runs out (virtual clock) and reads back 0
      const tv = m.mem.alloc(16);
      const t = Buffer.alloc(wide ? 16 : 8);
      if (wide) t.writeBigInt64LE(300_000n, 8); else t.writeInt32LE(300_000, 4);
      m.mem.write(tv, t);
      const rd2 = mkset([b.rfd]);
      expect(m.call("sys_select", n, rd2, 0, 0, tv)).toBeInstanceOf(WouldBlock);
      m.advance(300_000_000n);
      expect(m.call("sys_select", n, rd2, 0, 0, tv)).toBe(0n);
      expect(m.mem.read(tv, t.length).equals(Buffer.alloc(t.length))).toBe(true);
      expect(m.mem.read(rd2, setBytes).every((x) => x === 0)).toBe(true);
      // no timeout: sleeps on b's read queue
      const r = m.call("sys_select", n, mkset([b.rfd]), 0, 0, 0);
      expect(r).toBeInstanceOf(WouldBlock);
      expect((r as WouldBlock).queues).toContain(b.r.pipe.rdWait);
      // a closed fd in a set
      expect(m.call("sys_select", 70, mkset([69]), 0, 0, 0)).toBe(-9n);
    });

    const pselectName = wide ? "sys_pselect6" : "sys_pselect6_time32";
    it(`${pselectName}: timespec and the {sigset_t *, size_t} pair in the ABI's longs`, () => {
      const m = setup(abi);
      const p = m.pipe();
      p.w.write(Buffer.from("y"));
      const rd = m.mem.alloc(8);
      const rdb = Buffer.alloc(8);
      rdb[p.rfd >> 3] |= 1 << (p.rfd & 7);
      m.mem.write(rd, rdb);
      const mask = m.mem.alloc(8);
      m.mem.write(mask, Buffer.from([0, 2, 0, 0, 0, 0, 0, 0])); // SIGUSR1 (bit 9)
      const pair = m.mem.alloc(16);
      const pb = Buffer.alloc(2 * long);
      if (wide) { pb.writeBigUInt64LE(mask, 0); pb.writeBigUInt64LE(8n, 8); } else { pb.writeUInt32LE(Number(mask), 0); pb.writeUInt32LE(8, 4); }
      m.mem.write(pair, pb);
      const ts = m.mem.alloc(16); // zero timeout
      expect(m.call(pselectName, p.rfd + 1, rd, 0, 0, ts, pair)).toBe(1n);
      expect(m.task.blocked).toBe(0n);
      m.task.files.close(p.wfd);
      // a pending SIGUSR1 with a handler that the temporary mask blocks does not interrupt
      m.task.sigactions.set(SIGUSR1, { handler: 0x401000n, flags: 0n, restorer: 0n, mask: 0n });
      m.task.pending |= sigmask(SIGUSR1);
      const q = m.pipe();
      const rq = m.mem.alloc(8);
      const rqb = Buffer.alloc(8);
      rqb[q.rfd >> 3] |= 1 << (q.rfd & 7);
      m.mem.write(rq, rqb);
      expect(m.call(pselectName, q.rfd + 1, rq, 0, 0, 0, pair)).toBeInstanceOf(WouldBlock);
      // without the mask it does: EINTR, and the caller's mask is restored after the handler
      m.task.blocked = 0n;
      m.task.savedSigmask = undefined;
      m.mem.write(rq, rqb);
      expect(m.call(pselectName, q.rfd + 1, rq, 0, 0, 0, 0)).toBe(-4n);
    });
  });
}

describe("i386 old select (#82): one pointer to struct sel_arg_struct", () => {
  it("reads n, the three sets and the timeval through it", () => {
    const m = setup("i386");
    const p = m.pipe();
    p.w.write(Buffer.from("z"));
    const rd = m.mem.alloc(8);
    const s = Buffer.alloc(4);
    s[p.rfd >> 3] |= 1 << (p.rfd & 7);
    m.mem.write(rd, s);
    const args = m.mem.alloc(20);
    const b = Buffer.alloc(20);
    b.writeInt32LE(p.rfd + 1, 0);
    b.writeUInt32LE(Number(rd), 4);
    m.mem.write(args, b);
    expect(m.call("sys_old_select", args)).toBe(1n);
  });
});
