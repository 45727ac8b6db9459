// entry_SYSENTER_compat and the flags SYSENTER does not filter (SDM: it clears only IF, VM and
// RF): a task may enter with AC, NT or TF set. As in Linux's entry_64_compat.S, pt_regs->flags
// keeps them for the return while the stub clears them in the kernel's own RFLAGS, and the
// single-step traps TF causes inside the stub before that are ignored (is_sysenter_singlestep).
// A native run of the same program (this machine's kernel is an x86-64 one, its CPU an Intel)
// is the oracle.

import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Machine } from "../../emulator/machine.js";
import { LinuxX86_64 } from "../../kernel-model/linux_x86_64.js";
import { SIGTRAP } from "../../kernel-model/uapi/asm/signal.js";
import { HAVE_NASM, hasTool, nasmElf32 } from "../cpu/nasm.js";

// getpid through __kernel_vsyscall (found as AT_SYSINFO) with AC set; exit(AC after the call)
const AC_THROUGH_VSYSCALL = `
bits 32
global _start
_start:
	mov	esi, esp
	mov	ecx, [esi]
	lea	esi, [esi + 4*ecx + 8]
.env:	lodsd
	test	eax, eax
	jnz	.env
.aux:	lodsd
	mov	edx, eax
	lodsd
	cmp	edx, 32
	je	.found
	test	edx, edx
	jnz	.aux
	mov	ebx, 99
	jmp	.exit
.found:	mov	edi, eax
	pushfd
	or	dword [esp], 0x40000
	popfd
	mov	eax, 20
	call	edi
	pushfd
	pop	ebx
	shr	ebx, 18
	and	ebx, 1
	pushfd
	and	dword [esp], ~0x40000
	popfd
.exit:	mov	eax, 1
	int	0x80
`;

// SYSENTER executed with TF set (POPFD right before it), framed as __kernel_vsyscall frames it so
// that the vDSO's landing pad returns to "after"; exit(3) if no SIGTRAP came
const TF_INTO_SYSENTER = `
bits 32
global _start
_start:
	push	after
	push	ecx
	push	edx
	push	ebp
	mov	ebp, esp
	mov	eax, 20
	pushfd
	or	dword [esp], 0x100
	popfd
	sysenter
after:
	mov	eax, 1
	mov	ebx, 3
	int	0x80
`;

const canBuild = HAVE_NASM && hasTool("ld");

describe.skipIf(!canBuild)("entry_SYSENTER_compat clears NT, AC and TF for the kernel, as Linux does", () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "sysgate-sysenter-flags-"));
    nasmElf32(AC_THROUGH_VSYSCALL, join(dir, "ac"));
    nasmElf32(TF_INTO_SYSENTER, join(dir, "tf"));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  async function run(name: string) {
    const m = await Machine.create(join(dir, name), { env: [], deterministic: true, warnUnimplemented: false, captureOutput: true, cpu: "intel" });
    if (!(m.kernel instanceof LinuxX86_64) || !m.kernel.compat) throw new Error(`${name}: not a compat task on the x86-64 kernel`);
    const stubs: string[] = [];
    m.hooks.on("entry_stub", (e) => stubs.push(e.stub));
    try {
      return { status: m.run(), stubs };
    } finally {
      m.close();
    }
  }

  it("AC set on the way in is still set on the way out, as natively", async () => {
    const { status, stubs } = await run("ac");
    const native = spawnSync(join(dir, "ac"));
    expect(native.status).toBe(1); // the oracle: Linux gives the flag back
    expect(status).toMatchObject({ code: native.status });
    expect(stubs[0]).toBe("entry_SYSENTER_compat");
  });

  it("TF set on the way in: no kernel oops, the task gets SIGTRAP back in user mode, as natively", async () => {
    const { status, stubs } = await run("tf");
    const native = spawnSync(join(dir, "tf"));
    expect(native.signal).toBe("SIGTRAP");
    expect(status).toMatchObject({ signal: SIGTRAP });
    expect(status.detail ?? "").not.toMatch(/kernel mode/);
    expect(stubs).toEqual(["entry_SYSENTER_compat"]);
  });
});
