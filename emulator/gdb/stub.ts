// The command dispatcher of the GDB remote serial protocol: one packet in, one reply out
// (written from the "Packets", "General Query Packets", "Stop Reply Packets" and "Host I/O"
// pages of the GDB manual). An unknown packet gets the empty reply, which tells gdb it is not
// supported; a malformed one gets an `E` error; nothing gdb sends can throw out of here.

import type { ExitState } from "../../kernel-model/linux.js";
import { readMemory, writeMemory } from "./memory.js";
import { fromHex, toHex } from "./packet.js";
import { readAll, readRegister, regsFor, writeAll, writeRegister } from "./registers.js";
import { targetXml } from "./target_xml.js";
import type { Stop, Target } from "./target.js";

/** Largest packet we accept and send (announced as PacketSize). */
export const PACKET_SIZE = 0x4000;

/** What the connection around the stub provides. */
export interface StubHost {
  /** The guest runs (an interrupt byte may stop it) or stops. */
  running(on: boolean): void;
  /** QStartNoAckMode was accepted: no more +/- after the OK. */
  noAck(): void;
}

/** How the session ended, once it has. */
export type Outcome = { how: "exited"; state: ExitState } | { how: "killed"; state: ExitState } | { how: "detached"; state: ExitState };

const E_BADARGS = "E01";
const E_NOMEM = "E0e"; // EFAULT-like: the memory cannot be accessed
const E_NOTHREAD = "E02";

const hexNum = (s: string): bigint | undefined => (/^[0-9a-fA-F]{1,16}$/.test(s) ? BigInt("0x" + s) : undefined);
const hex2 = (n: number) => (n & 0xff).toString(16).padStart(2, "0");

interface ThreadId { pid: number; tid: number }

export class GdbStub {
  private multiprocess = false;
  private swbreak = false;
  private hwbreak = false;
  /** Hg: the thread for registers, memory and breakpoints; Hc: for the old c/s packets. */
  private gThread: number;
  private cThread = -1;
  private last: Stop;
  outcome: Outcome | undefined;

  constructor(private readonly target: Target, private readonly host: StubHost) {
    this.gThread = target.firstPid;
    this.last = { kind: "trap", tid: target.firstPid };
  }

  /** The reply to one packet ("" is the empty reply; undefined: none at all, as after `k`). */
  handle(packet: Buffer): string | Buffer | undefined {
    const text = packet.toString("latin1");
    try {
      return this.dispatch(text, packet);
    } catch (e) {
      // a bug of ours, not gdb's: say so on sysgate's stderr and keep the session alive
      process.stderr.write(`sysgate: gdb stub: ${(e as Error)?.stack ?? e} (packet ${JSON.stringify(text.slice(0, 60))})\n`);
      return "E7f";
    }
  }

  private dispatch(p: string, raw: Buffer): string | Buffer | undefined {
    switch (p[0]) {
      case "?": return this.stopReply(this.last);
      case "g": return this.withRegs(this.gThread, (rf) => toHex(readAll(rf)));
      case "G": {
        const data = fromHex(p.slice(1));
        if (!data) return E_BADARGS;
        return this.withRegs(this.gThread, (rf) => { writeAll(rf, data); return "OK"; });
      }
      case "p": {
        const n = hexNum(p.slice(1));
        const def = n === undefined ? undefined : regsFor(this.target.bits)[Number(n)];
        if (!def) return E_BADARGS;
        return this.withRegs(this.gThread, (rf) => toHex(readRegister(rf, def)));
      }
      case "P": {
        const m = /^P([0-9a-fA-F]+)=([0-9a-fA-F]*)$/.exec(p);
        const def = m ? regsFor(this.target.bits)[parseInt(m[1], 16)] : undefined;
        const v = m ? fromHex(m[2]) : undefined;
        if (!def || !v || v.length !== def.bitsize / 8) return E_BADARGS;
        return this.withRegs(this.gThread, (rf) => { writeRegister(rf, def, v); return "OK"; });
      }
      case "m": return this.readMem(p);
      case "M": return this.writeMem(p);
      case "X": return this.writeMemBinary(raw);
      case "Z": case "z": return this.breakpoint(p);
      case "H": return this.setThread(p);
      case "T": {
        const t = this.parseThread(p.slice(1));
        return t && this.target.task(this.resolve(t)) && this.target.isAttached(this.target.task(this.resolve(t))!.tgid) ? "OK" : E_NOTHREAD;
      }
      case "c": case "C": case "s": case "S": return this.legacyResume(p);
      case "k": this.kill(); return undefined;
      case "D": return this.detach(p);
      case "q": return this.query(p);
      case "Q": return this.set(p);
      case "v": return this.vPacket(p);
      default: return "";
    }
  }

  // ---- threads ------------------------------------------------------------------------------

  private tidText(tid: number): string {
    const t = this.target.task(tid);
    const pid = t?.tgid ?? tid;
    return this.multiprocess ? `p${pid.toString(16)}.${tid.toString(16)}` : tid.toString(16);
  }

  /** `p<pid>.<tid>`, `p<pid>`, `<tid>`, `-1` (all), `0` (any). */
  private parseThread(s: string): ThreadId | undefined {
    const part = (x: string) => (x === "-1" ? -1 : /^[0-9a-fA-F]+$/.test(x) ? parseInt(x, 16) : NaN);
    let m: RegExpExecArray | null;
    if ((m = /^p(-1|[0-9a-fA-F]+)(?:\.(-1|[0-9a-fA-F]+))?$/.exec(s))) {
      const pid = part(m[1]), tid = m[2] === undefined ? -1 : part(m[2]);
      return Number.isNaN(pid) || Number.isNaN(tid) ? undefined : { pid, tid };
    }
    const tid = part(s);
    return Number.isNaN(tid) ? undefined : { pid: -1, tid };
  }

  /** A concrete thread for an id that may say "any" or "all". */
  private resolve(t: ThreadId): number {
    if (t.tid > 0) return t.tid;
    if (t.pid > 0) return t.pid; // one thread per process: its tid is its pid
    return this.target.task(this.gThread) ? this.gThread : this.target.currentTid();
  }

  private setThread(p: string): string {
    const t = this.parseThread(p.slice(2));
    if (!t || (p[1] !== "g" && p[1] !== "c")) return E_BADARGS;
    const tid = t.tid === -1 && t.pid <= 0 ? -1 : this.resolve(t);
    if (tid !== -1 && !this.target.task(tid)) return E_NOTHREAD;
    if (p[1] === "g") this.gThread = tid === -1 ? this.target.currentTid() : tid;
    else this.cThread = tid;
    return "OK";
  }

  private withRegs(tid: number, fn: (rf: NonNullable<ReturnType<Target["registers"]>>) => string): string {
    const rf = this.target.registers(tid);
    return rf ? fn(rf) : E_NOTHREAD;
  }

  // ---- memory and breakpoints ---------------------------------------------------------------

  private readMem(p: string): string {
    const m = /^m([0-9a-fA-F]+),([0-9a-fA-F]+)$/.exec(p);
    const addr = m ? hexNum(m[1]) : undefined;
    if (!m || addr === undefined) return E_BADARGS;
    const len = Math.min(parseInt(m[2], 16), (PACKET_SIZE - 8) / 2);
    if (len === 0) return "";
    const as = this.target.addressSpace(this.gThread);
    if (!as) return E_NOTHREAD;
    const b = readMemory(as, addr, len);
    return b ? toHex(b) : E_NOMEM;
  }

  private write(addr: bigint, data: Buffer): string {
    const as = this.target.addressSpace(this.gThread);
    if (!as) return E_NOTHREAD;
    const r = writeMemory(as, addr, data);
    return r === "ok" ? "OK" : E_NOMEM;
  }

  private writeMem(p: string): string {
    const m = /^M([0-9a-fA-F]+),([0-9a-fA-F]+):([0-9a-fA-F]*)$/.exec(p);
    const addr = m ? hexNum(m[1]) : undefined;
    const data = m ? fromHex(m[3]) : undefined;
    if (!m || addr === undefined || !data || data.length !== parseInt(m[2], 16)) return E_BADARGS;
    return this.write(addr, data);
  }

  private writeMemBinary(raw: Buffer): string {
    const colon = raw.indexOf(0x3a);
    const m = colon > 0 ? /^X([0-9a-fA-F]+),([0-9a-fA-F]+)$/.exec(raw.subarray(0, colon).toString("latin1")) : null;
    const addr = m ? hexNum(m[1]) : undefined;
    if (!m || addr === undefined) return E_BADARGS;
    const data = raw.subarray(colon + 1);
    if (data.length !== parseInt(m[2], 16)) return E_BADARGS;
    return this.write(addr, Buffer.from(data));
  }

  private breakpoint(p: string): string {
    const m = /^([Zz])([0-4]),([0-9a-fA-F]+),([0-9a-fA-F]+)(;.*)?$/.exec(p);
    const addr = m ? hexNum(m[3]) : undefined;
    if (!m || addr === undefined) return E_BADARGS;
    if (m[2] !== "0" && m[2] !== "1") return ""; // watchpoints: not supported
    const ok = m[1] === "Z" ? this.target.insertBreakpoint(this.gThread, addr) : this.target.removeBreakpoint(this.gThread, addr);
    return ok ? "OK" : E_NOTHREAD;
  }

  // ---- running ------------------------------------------------------------------------------

  private resume(stepTid?: number): string {
    if (this.outcome) return this.exitReply(this.outcome.state, this.target.firstPid);
    this.host.running(true);
    let s: Stop;
    try {
      s = this.target.resume(stepTid);
    } finally {
      this.host.running(false);
    }
    this.last = s;
    if ((s.kind === "exited" || s.kind === "killed") && s.pid === this.target.firstPid) {
      this.outcome = { how: "exited", state: this.target.ended! };
    } else if ("tid" in s) {
      this.gThread = s.tid;
    }
    return this.stopReply(s);
  }

  /** `c [ADDR]`, `s [ADDR]`, `C SIG[;ADDR]`, `S SIG[;ADDR]` (the signal is not delivered: see README). */
  private legacyResume(p: string): string {
    const m = /^(?:([cs])([0-9a-fA-F]+)?|([CS])[0-9a-fA-F]{2}(?:;([0-9a-fA-F]+))?)$/.exec(p);
    if (!m) return E_BADARGS;
    const letter = m[1] ?? m[3].toLowerCase();
    const addr = m[2] ?? m[4];
    const tid = this.cThread > 0 ? this.cThread : this.gThread;
    if (!this.target.task(tid)) return E_NOTHREAD;
    if (addr) this.setPc(tid, BigInt("0x" + addr));
    return this.resume(letter === "s" ? tid : undefined);
  }

  private setPc(tid: number, pc: bigint): void {
    this.target.registers(tid)?.set(this.target.bits === 64 ? "rip" : "eip", pc);
  }

  /** vCont;ACTION[:thread];...: the first action that names a thread we step wins; otherwise all continue. */
  private vCont(p: string): string {
    const actions = p.slice(6).split(";").filter(Boolean);
    if (!actions.length) return E_BADARGS;
    let step: number | undefined;
    for (const a of actions) {
      const m = /^([cCsSt])([0-9a-fA-F]{2})?(?::(.+))?$/.exec(a);
      if (!m) return E_BADARGS;
      if (m[1] === "t") continue;
      const t = m[3] ? this.parseThread(m[3]) : undefined;
      if (m[3] && !t) return E_BADARGS;
      if ((m[1] === "s" || m[1] === "S") && step === undefined) {
        step = t ? (t.tid === -1 && t.pid <= 0 ? this.gThread : this.resolve(t)) : this.gThread;
      }
    }
    if (step !== undefined && !this.target.task(step)) return E_NOTHREAD;
    return this.resume(step);
  }

  private exitReply(state: ExitState, pid: number): string {
    const proc = this.multiprocess ? `;process:${pid.toString(16)}` : "";
    return state.signal !== undefined ? `X${hex2(state.signal)}${proc}` : `W${hex2(state.code ?? 0)}${proc}`;
  }

  stopReply(s: Stop): string {
    const thread = "tid" in s ? `thread:${this.tidText(s.tid)};` : "";
    switch (s.kind) {
      case "exited": return this.exitReply({ code: s.code }, s.pid);
      case "killed": return this.exitReply({ signal: s.sig }, s.pid);
      case "signal": return `T${hex2(s.sig)}${thread}`;
      case "trap": return `T05${thread}${s.breakpoint && (this.swbreak || this.hwbreak) ? (this.swbreak ? "swbreak:;" : "hwbreak:;") : ""}`;
      case "syscall_entry": case "syscall_return": return `T05${s.kind}:${s.nr.toString(16)};${thread}`;
      case "fork": return `T05${s.vfork ? "vfork" : "fork"}:${this.tidText(s.child)};${thread}`;
      case "vforkdone": return `T05vforkdone:;${thread}`;
      case "exec": return `T05exec:${toHex(Buffer.from(s.path))};${thread}`;
    }
  }

  // ---- ending -------------------------------------------------------------------------------

  private kill(pid?: number): void {
    if (this.outcome) return;
    const state = this.target.kill(pid);
    if (pid === undefined || pid === this.target.firstPid) this.outcome = { how: "killed", state };
  }

  private detach(p: string): string {
    const m = /^D(?:;([0-9a-fA-F]+))?$/.exec(p);
    if (!m) return E_BADARGS;
    const pid = m[1] ? parseInt(m[1], 16) : undefined;
    if (pid !== undefined && !this.target.isAttached(pid)) return E_NOTHREAD;
    if (pid !== undefined && this.target.tasks().length > 1) {
      this.target.detach(pid);
      if (this.gThread === pid) this.gThread = this.target.currentTid();
      return "OK";
    }
    // the last (or only) process: gdb is done with the run; it goes on to its end unobserved
    this.target.detachAll();
    this.outcome ??= { how: "detached", state: this.target.ended ?? { code: 0 } };
    return "OK";
  }

  // ---- queries ------------------------------------------------------------------------------

  private query(p: string): string {
    if (p.startsWith("qSupported")) {
      const features = p.slice(11).split(";");
      const has = (f: string) => features.includes(`${f}+`);
      this.multiprocess = has("multiprocess");
      this.swbreak = has("swbreak");
      this.hwbreak = has("hwbreak");
      this.target.events.fork = has("fork-events");
      this.target.events.vfork = has("vfork-events");
      this.target.events.exec = has("exec-events");
      return [`PacketSize=${PACKET_SIZE.toString(16)}`, "qXfer:features:read+", "qXfer:auxv:read+", "qXfer:exec-file:read+",
        "QStartNoAckMode+", "QCatchSyscalls+", "vContSupported+", "QPassSignals+", "QProgramSignals+",
        ...["multiprocess", "swbreak", "hwbreak", "fork-events", "vfork-events", "exec-events"].filter(has).map((f) => `${f}+`)].join(";");
    }
    if (p.startsWith("qXfer:")) return this.xfer(p);
    if (p === "qC") return `QC${this.tidText(this.gThread)}`;
    if (p === "qfThreadInfo") return "m" + this.target.tasks().map((t) => this.tidText(t.pid)).join(",");
    if (p === "qsThreadInfo") return "l";
    if (p.startsWith("qAttached")) return "0"; // sysgate started the process: quitting gdb kills it
    if (p.startsWith("qThreadExtraInfo,")) {
      const t = this.parseThread(p.slice(17));
      const task = t ? this.target.task(this.resolve(t)) : undefined;
      return task ? toHex(Buffer.from(`${task.comm}, ${task.machine.abi}`)) : E_NOTHREAD;
    }
    if (p === "qSymbol::") return "OK";
    return "";
  }

  /** qXfer:OBJECT:read:ANNEX:OFFSET,LENGTH → `m` + data (more follows) or `l` + data (the end). */
  private xfer(p: string): string {
    const m = /^qXfer:([\w-]+):read:([^:]*):([0-9a-fA-F]+),([0-9a-fA-F]+)$/.exec(p);
    if (!m) return /^qXfer:[\w-]+:write:/.test(p) ? "" : E_BADARGS;
    let doc: Buffer | undefined;
    const pidOf = (annex: string) => (annex ? parseInt(annex, 16) : this.target.task(this.gThread)?.tgid ?? this.target.firstPid);
    switch (m[1]) {
      case "features":
        if (m[2] !== "target.xml") return E_BADARGS;
        doc = Buffer.from(targetXml(this.target.bits));
        break;
      case "auxv":
        if (m[2]) return E_BADARGS;
        doc = this.target.auxv(this.gThread);
        break;
      case "exec-file": {
        const f = this.target.execFile(pidOf(m[2]));
        doc = f === undefined ? undefined : Buffer.from(f);
        break;
      }
      default:
        return "";
    }
    if (!doc) return E_NOTHREAD;
    const off = parseInt(m[3], 16), len = Math.min(parseInt(m[4], 16), PACKET_SIZE - 8);
    if (off > doc.length) return E_BADARGS;
    const chunk = doc.subarray(off, off + len);
    // binary data: the framing escapes what needs it
    return (off + chunk.length >= doc.length ? "l" : "m") + chunk.toString("latin1");
  }

  private set(p: string): string {
    if (p === "QStartNoAckMode") {
      this.host.noAck();
      return "OK";
    }
    if (p.startsWith("QCatchSyscalls:")) {
      const parts = p.slice(15).split(";");
      if (parts[0] === "0" && parts.length === 1) {
        this.target.catchSyscalls(undefined);
        return "OK";
      }
      if (parts[0] !== "1") return E_BADARGS;
      const nrs = parts.slice(1).map((x) => (/^[0-9a-fA-F]+$/.test(x) ? parseInt(x, 16) : NaN));
      if (nrs.some(Number.isNaN)) return E_BADARGS;
      this.target.catchSyscalls(new Set(nrs));
      return "OK";
    }
    if (p.startsWith("QPassSignals:") || p.startsWith("QProgramSignals:")) return "OK"; // the guest's signals never stop it here
    if (p === "QNonStop:0") return "OK";
    return "";
  }

  private vPacket(p: string): string {
    if (p === "vCont?") return "vCont;c;C;s;S";
    if (p.startsWith("vCont;")) return this.vCont(p);
    if (p === "vCtrlC") return "OK"; // all-stop: the guest is already stopped when a packet arrives
    if (p.startsWith("vKill;")) {
      const pid = parseInt(p.slice(6), 16);
      if (Number.isNaN(pid) || !this.target.task(pid)) return E_NOTHREAD;
      this.kill(pid);
      return "OK";
    }
    if (p === "vMustReplyEmpty") return "";
    return "";
  }
}
