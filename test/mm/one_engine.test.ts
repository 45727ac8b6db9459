// One CPU and one physical memory per kernel (issue 9): copy-on-write fork, text frames shared
// through the page cache, the context switch as an event, physical memory running out, and
// code that changes under the CPU (mprotect of PROT_EXEC, rewritten code, munmap of code).
// busybox and small nasm programs; native runs are the oracle where the program runs here.

import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { Machine } from "../../emulator/machine.js";
import { pageDown } from "../../kernel-model/mm/mm_struct.js";
import type { Task } from "../../kernel-model/sched/task.js";
import { HAVE_NASM } from "../cpu/nasm.js";
import { ROOT } from "../run/cli.js";

const BUSYBOX = { 64: join(ROOT, ".cache/corpus/amd64/busybox"), 32: join(ROOT, ".cache/corpus/i386/busybox") } as const;
const have = existsSync(BUSYBOX[64]) && existsSync(BUSYBOX[32]);
const native = process.platform === "linux" && process.arch === "x64";

async function sh(bits: 64 | 32, script: string, opts: Parameters<typeof Machine.create>[1] = {}): Promise<Machine> {
  return Machine.create(BUSYBOX[bits], { argv: ["busybox", "sh", "-c", script], captureOutput: true, stdin: "", warn: () => {}, ...opts });
}

describe.skipIf(!have)("copy-on-write fork", () => {
  for (const bits of [64, 32] as const) {
    it(`parent and child write the same page and each reads its own; the frame is shared until then (${bits}-bit)`, async () => {
      const m = await sh(bits, "x=parent; (x=child; echo $x); echo $x");
      const tasks = m.kstate.sched.tasks;
      let shared: { parent: number; child: number; count: number } | undefined;
      m.hooks.on("process", (e) => {
        if (e.action !== "fork" || shared) return;
        const parent = tasks.get(e.pid)!, child = tasks.get(e.child!)!;
        // the page under the parent's stack pointer: writable, present in both after fork
        const sp = m.kernel.ptRegs(m.cpu.get(m.cpu.bits === 64 ? "rdi" : "eax")).get("sp"); // the stub passes pt_regs in RDI on the x86-64 kernel, which runs both ABIs
        const p = parent.mm.pgd.lookup(pageDown(sp))!, c = child.mm.pgd.lookup(pageDown(sp))!;
        shared = { parent: p.pa, child: c.pa, count: m.kernel.phys.pageCount(p.pa) };
        expect(p.write || c.write).toBe(false); // write-protected in both
      });
      const cow: { reused: boolean; oldFrame: number; newFrame: number }[] = [];
      m.hooks.on("cow_fault", (e) => cow.push(e));
      expect(m.runToEnd()).toEqual({ code: 0 });
      expect(m.stdout.toString()).toBe("child\nparent\n");
      expect(shared!.parent).toBe(shared!.child);
      expect(shared!.count).toBeGreaterThanOrEqual(2);
      expect(cow.some((e) => !e.reused && e.newFrame !== e.oldFrame)).toBe(true); // the first writer got a copy
      expect(cow.some((e) => e.reused && e.newFrame === e.oldFrame)).toBe(true); // the last user kept the frame
      m.close();
    });
  }

  it("a forked child costs page tables, not memory: 20 sleeping children use few frames each", async () => {
    const m = await sh(64, "for i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do sleep 1 & done; wait");
    const before = m.kernel.phys.framesInUse;
    let most = 0;
    m.hooks.on("process", () => { most = Math.max(most, m.kernel.phys.framesInUse); });
    expect(m.runToEnd()).toEqual({ code: 0 });
    // each child: its page tables, a kernel stack and the pages it wrote; not a copy of the shell
    expect((most - before) / 20).toBeLessThan(64);
    m.close();
  });
});

describe.skipIf(!have)("text frames shared through the page cache", () => {
  for (const bits of [64, 32] as const) {
    it(`two processes running one binary use one frame for its entry page (${bits}-bit)`, async () => {
      const m = await sh(bits, `${BUSYBOX[bits]} true; true`); // not the last command: sh forks, the child execs
      const entry = pageDown(m.image.entry);
      const frames = new Map<number, number>();
      m.hooks.on("syscall_entry", (e) => {
        const t = m.kstate.sched.tasks.get(e.pid)!;
        frames.set(e.pid, t.mm.pgd.lookup(entry)?.pa ?? -1);
      });
      expect(m.runToEnd()).toEqual({ code: 0 });
      const pas = [...frames.values()];
      expect(frames.size).toBeGreaterThanOrEqual(2); // the shell and the exec'd child
      expect(new Set(pas).size).toBe(1);
      expect(pas[0]).toBeGreaterThan(0);
      m.close();
    });
  }
});

describe.skipIf(!have)("the context switch event", () => {
  it("schedule → context_switch: a chain of prev → next, each CR3 the next address space's root, the same every run", async () => {
    const run = async () => {
      const m = await sh(64, "echo a | cat; echo b");
      const seq: string[] = [];
      m.hooks.on("context_switch", (e) => {
        const next = m.kstate.sched.tasks.get(e.next) as Task;
        expect(e.nextCr3).toBe(BigInt(next.mm.pgd.root));
        expect(m.cpu.get("cr3")).toBe(e.nextCr3);
        expect(e.prevCr3).not.toBe(e.nextCr3);
        expect(e.kernel).toBe("x86_64");
        seq.push(`${e.prev}->${e.next}`);
      });
      expect(m.runToEnd()).toEqual({ code: 0 });
      expect(m.stdout.toString()).toBe("a\nb\n");
      m.close();
      return seq;
    };
    const seq = await run();
    expect(seq.length).toBeGreaterThanOrEqual(2);
    for (let i = 1; i < seq.length; i++) expect(seq[i].split("->")[0]).toBe(seq[i - 1].split("->")[1]);
    expect(seq[0].startsWith("1000->")).toBe(true);
    expect(new Set(seq.flatMap((s) => s.split("->")))).toEqual(new Set(["1000", "1001", "1002"]));
    expect(await run()).toEqual(seq);
  });
});

describe.skipIf(!have)("physical memory running out", () => {
  it("the guest gets ENOMEM or the OOM killer's SIGKILL; the host goes on", async () => {
    const m = await sh(64, 'x=$(head -c 40000000 /dev/zero | tr "\\0" a); echo ${#x}', { physMemory: 32 << 20 });
    const r = m.runToEnd();
    const outOfMemory = /out of memory|Cannot allocate memory/.test(m.stderr.toString()) || r.signal === 9;
    expect(outOfMemory, JSON.stringify(r) + m.stderr.toString()).toBe(true);
    expect(m.stdout.toString()).not.toBe("40000000\n");
    m.close();
  });
});

// mmap RW, write `mov eax, 42; ret`, mprotect RX, call; mprotect RW, rewrite to `mov eax, 7; ret`,
// mprotect RX, call; munmap; map again and run a third version; exit with the sum (42+7+1 = 50).
const CODE_CHANGE = (bits: 64 | 32) => `
BITS ${bits}
global _start
section .text
_start:
${bits === 64 ? `
	mov eax, 9 ; mmap
	xor edi, edi
	mov esi, 4096
	mov edx, 3
	mov r10d, 0x22
	mov r8, -1
	xor r9d, r9d
	syscall
	mov rbx, rax
	mov dword [rbx], 0x00002ab8
	mov word [rbx+4], 0xc300
	mov eax, 10 ; mprotect RX
	mov rdi, rbx
	mov esi, 4096
	mov edx, 5
	syscall
	call rbx
	mov r12, rax
	mov eax, 10 ; mprotect RW
	mov rdi, rbx
	mov esi, 4096
	mov edx, 3
	syscall
	mov byte [rbx+1], 7
	mov eax, 10 ; mprotect RX
	mov rdi, rbx
	mov esi, 4096
	mov edx, 5
	syscall
	call rbx
	add r12, rax
	mov eax, 11 ; munmap
	mov rdi, rbx
	mov esi, 4096
	syscall
	mov eax, 9 ; mmap RWX at the same place
	mov rdi, rbx
	mov esi, 4096
	mov edx, 7
	mov r10d, 0x32
	mov r8, -1
	xor r9d, r9d
	syscall
	mov dword [rax], 0x000001b8
	mov word [rax+4], 0xc300
	call rax
	add r12, rax
	mov eax, 60
	mov rdi, r12
	syscall` : `
	mov eax, 192 ; mmap2
	xor ebx, ebx
	mov ecx, 4096
	mov edx, 3
	mov esi, 0x22
	mov edi, -1
	xor ebp, ebp
	int 0x80
	mov esi, eax
	mov dword [esi], 0x00002ab8
	mov word [esi+4], 0xc300
	mov eax, 125 ; mprotect RX
	mov ebx, esi
	mov ecx, 4096
	mov edx, 5
	int 0x80
	call esi
	mov edi, eax
	mov eax, 125
	mov ebx, esi
	mov ecx, 4096
	mov edx, 3
	int 0x80
	mov byte [esi+1], 7
	mov eax, 125
	mov ebx, esi
	mov ecx, 4096
	mov edx, 5
	int 0x80
	call esi
	add edi, eax
	mov eax, 91 ; munmap
	mov ebx, esi
	mov ecx, 4096
	int 0x80
	push edi
	mov eax, 192
	mov ebx, esi
	mov ecx, 4096
	mov edx, 7
	mov esi, 0x32
	mov edi, -1
	xor ebp, ebp
	int 0x80
	pop edi
	mov dword [eax], 0x000001b8
	mov word [eax+4], 0xc300
	call eax
	add edi, eax
	mov ebx, edi
	mov eax, 1
	int 0x80`}
`;

describe.skipIf(!HAVE_NASM)("code that changes under the CPU", () => {
  const dir = mkdtempSync(join(tmpdir(), "sysgate-code-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  for (const bits of [64, 32] as const) {
    it(`mprotect adding and removing PROT_EXEC, rewritten code and munmap of code run the new code (${bits}-bit)`, async () => {
      const src = join(dir, `code${bits}.asm`), obj = join(dir, `code${bits}.o`), exe = join(dir, `code${bits}`);
      writeFileSync(src, CODE_CHANGE(bits));
      expect(spawnSync("nasm", ["-f", bits === 64 ? "elf64" : "elf32", "-o", obj, src]).status).toBe(0);
      expect(spawnSync("ld", [...(bits === 32 ? ["-m", "elf_i386"] : []), "-static", "-o", exe, obj]).status).toBe(0);
      if (native) expect(spawnSync(exe).status).toBe(50);
      const m = await Machine.create({ name: `code${bits}`, bytes: readFileSync(exe) }, { captureOutput: true, warn: () => {} });
      expect(m.runToEnd()).toEqual({ code: 50 });
      m.close();
    });
  }
});
