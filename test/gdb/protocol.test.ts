// The remote protocol at the byte level, with a small client of our own: framing, checksums,
// escapes, run-length encoding, and what malformed or unknown packets get (an `E` error or the
// empty reply, never a crash); the stub listens on the loopback interface only; gdb going away
// kills the guest.

import { spawn, type ChildProcess } from "node:child_process";
import { connect, type Socket } from "node:net";
import { networkInterfaces } from "node:os";
import { describe, expect, it } from "vitest";
import { kernelText } from "../../kernel-model/entry/kernel_text.js";
import { PacketReader, checksum, frame, unescape } from "../../emulator/gdb/packet.js";
import { CLI, ROOT, ensureDist } from "../run/cli.js";
import { sample } from "./session.js";

// the kernel text's addresses, as its nasm map gives them
const hex = (v: bigint) => v.toString(16);
const ENTRY_SYSCALL_64 = hex(kernelText("entry_64").sym("entry_SYSCALL_64"));

describe("packet framing", () => {
  it("checksums, escapes and frames as the protocol says", () => {
    expect(checksum(Buffer.from("OK"))).toBe(0x9a); // 'O' + 'K' = 0x4f + 0x4b
    expect(frame("OK").toString("latin1")).toBe("$OK#9a");
    // '#', '$', '}' and '*' go as '}' then the byte XOR 0x20
    expect(frame(Buffer.from([0x23, 0x24, 0x7d, 0x2a])).toString("latin1")).toMatch(/^\$\}\x03\}\x04\}\]\}\n#/);
    expect(unescape(Buffer.from("}\x03}\x04"))).toEqual(Buffer.from("#$"));
    // run-length: "0* " is '0' and then 32 - 29 = 3 more
    expect(unescape(Buffer.from("0* ")).toString()).toBe("0000");
  });

  it("splits a stream into packets, acks and interrupts; a bad checksum is reported, noise skipped", () => {
    const r = new PacketReader();
    const out = r.push(Buffer.concat([Buffer.from("+junk$g#67-"), Buffer.from([3]), Buffer.from("$m0,4#00$qC#b4")]));
    expect(out.map((e) => e.kind)).toEqual(["ack", "packet", "nak", "interrupt", "bad-checksum", "packet"]);
    expect(out[1].kind === "packet" && out[1].data.toString()).toBe("g");
    // split anywhere
    const r2 = new PacketReader();
    expect(r2.push(Buffer.from("$q"))).toEqual([]);
    expect(r2.push(Buffer.from("C#b")).length).toBe(0);
    expect(r2.push(Buffer.from("4"))[0]).toMatchObject({ kind: "packet" });
  });
});

/** A client that sends packets and collects replies (acks stripped). */
class Client {
  private buf = "";
  private waiters: (() => void)[] = [];
  closed = false;
  constructor(readonly sock: Socket) {
    sock.on("data", (d) => { this.buf += d.toString("latin1"); this.waiters.splice(0).forEach((w) => w()); });
    sock.on("close", () => { this.closed = true; this.waiters.splice(0).forEach((w) => w()); });
  }
  raw(s: string | Buffer): void { this.sock.write(typeof s === "string" ? Buffer.from(s, "latin1") : s); }
  send(p: string): void { this.raw(frame(p)); }
  /** The next reply packet's body (its checksum checked), or the next ack/nak character. */
  async next(): Promise<string> {
    for (;;) {
      this.buf = this.buf.replace(/^\++/, "");
      if (this.buf.startsWith("-")) { this.buf = this.buf.slice(1); return "-"; }
      const m = /^\$([^#]*)#([0-9a-f]{2})/.exec(this.buf);
      if (m) {
        this.buf = this.buf.slice(m[0].length);
        expect(checksum(Buffer.from(m[1], "latin1")).toString(16).padStart(2, "0")).toBe(m[2]);
        return unescape(Buffer.from(m[1], "latin1")).toString("latin1");
      }
      if (this.closed) throw new Error("connection closed");
      await new Promise<void>((r) => this.waiters.push(r));
    }
  }
  async ask(p: string): Promise<string> { const t0 = Date.now(); this.send(p); const r = await this.next(); if (process.env.GDB_TEST_DEBUG) console.log(Date.now() - t0, p.slice(0, 30)); return r; }
}

async function startStub(program: string): Promise<{ sg: ChildProcess; port: number; done: Promise<{ code: number | null; stderr: string }> }> {
  ensureDist();
  const sg = spawn(process.execPath, [CLI, "run", "-g", "0", program], { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
  let stderr = "";
  const done = new Promise<{ code: number | null; stderr: string }>((r) => sg.on("exit", (code) => r({ code, stderr })));
  const port = await new Promise<number>((resolve, reject) => {
    sg.stderr!.on("data", (d) => {
      stderr += d;
      const m = /waiting for gdb on 127\.0\.0\.1:(\d+)/.exec(stderr);
      if (m) resolve(Number(m[1]));
    });
    sg.on("exit", () => reject(new Error(stderr)));
  });
  return { sg, port, done };
}

const open = (port: number, host = "127.0.0.1") => new Promise<Socket>((res, rej) => {
  const s = connect(port, host, () => res(s));
  s.on("error", rej);
});

describe("the stub against bad input", () => {
  it("answers malformed and unknown packets with an error or the empty reply, refuses kernel-text writes, and `k` ends the run", async () => {
    const { port, done } = await startStub(sample("x86_64/hello-syscall"));
    const c = new Client(await open(port));
    c.raw("garbage before any packet");
    c.raw("$g#00"); // a bad checksum gets a nak
    expect(await c.next()).toBe("-");
    expect(await c.ask("qFooBar")).toBe("");
    expect(await c.ask("Z")).toMatch(/^E/);
    expect(await c.ask("mzz,4")).toMatch(/^E/);
    expect(await c.ask("m10,4")).toMatch(/^E/); // page 0 is not mapped
    expect(await c.ask("m401000,1")).toBe("b8"); // mov $1, %eax: the program's first byte
    const text = await c.ask(`m${ENTRY_SYSCALL_64},3`); // entry_SYSCALL_64: swapgs
    expect(text).toBe("0f01f8");
    expect(await c.ask(`M${ENTRY_SYSCALL_64},1:90`)).toMatch(/^E/);
    expect(await c.ask(`m${ENTRY_SYSCALL_64},3`)).toBe(text);
    expect(await c.ask("M401000,2:90")).toMatch(/^E/); // length and data disagree
    expect(await c.ask("p9999")).toMatch(/^E/);
    expect(await c.ask("P0=12")).toMatch(/^E/); // rax is 8 bytes
    expect(await c.ask("Z2,401000,1")).toBe(""); // watchpoints: not supported
    expect(await c.ask("Hgpzz.1")).toMatch(/^E/);
    expect(await c.ask("Hgp5.5")).toMatch(/^E/); // no such thread
    expect(await c.ask("vCont;x")).toMatch(/^E/);
    expect(await c.ask("qXfer:features:read:nosuch.xml:0,10")).toMatch(/^E/);
    expect(await c.ask("QCatchSyscalls:1;zz")).toMatch(/^E/);
    c.raw("$" + "A".repeat(200_000)); // an unterminated huge packet, then a good one
    expect(await c.ask("?")).toMatch(/^T05/);
    expect(await c.ask("qXfer:features:read:target.xml:0,20")).toMatch(/^m<\?xml/);
    c.send("k");
    const r = await done;
    expect(r.stderr).toMatch(/killed by gdb/);
    expect(r.code).toBe(128 + 9);
  });

  it("gdb going away mid-run kills the guest and says so", async () => {
    const { port, done } = await startStub(sample("x86_64/getppid-loop"));
    const c = new Client(await open(port));
    expect(await c.ask("?")).toMatch(/^T05/);
    c.send("c");
    await new Promise((r) => setTimeout(r, 300));
    c.sock.destroy();
    const r = await done;
    expect(r.stderr).toMatch(/gdb closed the connection: the program was killed/);
    expect(r.code).toBe(128 + 9);
  });

  it("the interrupt byte stops a running guest with SIGINT", async () => {
    const { port, done } = await startStub(sample("x86_64/getppid-loop"));
    const c = new Client(await open(port));
    c.send("c");
    await new Promise((r) => setTimeout(r, 300));
    c.raw(Buffer.from([3]));
    expect(await c.next()).toMatch(/^T02/);
    c.send("k");
    expect((await done).code).toBe(128 + 9);
  });

  it("listens on the loopback interface only", async () => {
    const other = Object.values(networkInterfaces()).flat().find((a) => a && a.family === "IPv4" && !a.internal);
    const { port, done } = await startStub(sample("x86_64/hello-syscall"));
    if (other) await expect(open(port, other.address)).rejects.toThrow(/ECONNREFUSED/);
    const c = new Client(await open(port));
    c.send("k");
    await done;
  });
});
