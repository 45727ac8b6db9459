// The floor of sysgate's round trip: what the engine and the two JavaScript crossings every
// syscall needs (the SYSCALL instruction hook, the generic entry's trap) cost with no model logic
// at all. A bare 64-bit engine (no paging, CPL 0) runs `syscall; dec rcx; jnz` N times:
//   1. an empty SYSCALL hook (one C → JS crossing);
//   2. plus the engine calls the transition makes: the user state read in one batch, the CPL 0
//      context restored, the state written back in one batch;
//   3. plus a second crossing, a one-address code hook on `dec rcx` that reads one register and
//      writes one (do_syscall_64's RDI and RAX);
//   4. the loop with no hook at all (the instructions themselves).
// CPU microseconds per iteration, each the best of 3.

import { UC } from "../../emulator/cpu/unicorn.js";
import { X86Cpu } from "../../emulator/cpu/x86_cpu.js";
import { GPR64 } from "../../kernel-model/cpu.js";

const CODE = 0x1000n;
// syscall; dec rcx; jnz -7; hlt
const LOOP = [0x0f, 0x05, 0x48, 0xff, 0xc9, 0x75, 0xf9, 0xf4];

function perIteration(n: number, setup: (cpu: X86Cpu) => void): number {
  let best = Infinity;
  for (let r = 0; r < 3; r++) {
    const cpu = new X86Cpu(64, Buffer.alloc(1 << 20));
    try {
      Buffer.from(LOOP).copy(cpu.phys, Number(CODE));
      setup(cpu);
      cpu.set("rcx", n);
      const c0 = process.cpuUsage();
      // the hook's count register is rcx: a syscall hook must leave it alone
      const rc = cpu.run(CODE, 0, 0);
      const c = process.cpuUsage(c0);
      if (rc !== UC.UC_ERR_OK && rc !== UC.UC_ERR_INSN_INVALID) throw new Error(`floor: ${cpu.uc.strerror(rc)}`);
      best = Math.min(best, (c.user + c.system) / n);
    } finally {
      cpu.close();
    }
  }
  return best;
}

export function floorRoundTrip(n = 200_000): string {
  const regs = [...GPR64, "rip", "rflags", "fs_base", "gs_base", "cs", "ss"] as const;
  const bare = perIteration(n, () => {});
  const empty = perIteration(n, (cpu) => cpu.onInstruction("syscall", () => {}));
  const transition = (cpu: X86Cpu) => {
    const ctx = cpu.saveContext();
    const b = cpu.batch(regs, { xstate: true });
    const w = b.without([regs.length - 2, regs.length - 1]);
    cpu.onInstruction("syscall", () => {
      b.read();
      cpu.restoreContext(ctx);
      w.write(); // RIP as read: the engine adds 2 and the loop goes on
    });
  };
  const withEngine = perIteration(n, transition);
  const twoCrossings = perIteration(n, (cpu) => {
    transition(cpu);
    cpu.onExecute(CODE + 2n, () => { cpu.set("rax", cpu.get("rdi")); });
  });
  const us = (x: number) => `${x.toFixed(2).padStart(6)} us`;
  return [
    `the floor: a bare engine looping over \`syscall\` (CPU time per iteration, best of 3, N=${n.toLocaleString("en-US")})`,
    `  no hook (the instructions alone)                          ${us(bare)}`,
    `  + an empty SYSCALL hook (one crossing)                    ${us(empty)}`,
    `  + batch read, context restore, batch write (3 calls)      ${us(withEngine)}`,
    `  + a second crossing with one register read and one write  ${us(twoCrossings)}  (${Math.round(1e6 / twoCrossings).toLocaleString("en-US")}/s at most)`,
    twoCrossings > 1
      ? `  => issue 10's 1,000,000 getppid/s needs a round trip under 1 us: the engine calls and the two crossings alone take ` +
        `${twoCrossings.toFixed(2)} us, so no model on Unicorn hooks through koffi gets there`
      : `  => the floor is under 1 us: 1,000,000 getppid/s is within reach of the engine`,
  ].join("\n") + "\n";
}

if (process.argv[1] && process.argv[1].endsWith("floor.js")) process.stdout.write(floorRoundTrip());
