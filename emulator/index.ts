// sysgate as a library: load a static program into a machine, hook the interception points of
// its syscalls, run or step it, and look at what happened. See README.md, "Hooks".

export { Machine, DEFAULT_MEMORY_LIMIT, type MachineOptions, type RunResult } from "./machine.js";
export { ExecFormatError } from "./loader/elf.js";
export type { ExitState } from "../kernel-model/linux.js";
export {
  HOOK_POINTS, type HookPoint, type HookEvents, type Mechanism, type CpuState, type FunctionEvent, type InstructionEvent,
  type TransitionEvent, type EntryStubEvent, type SyscallEvent, type SyscallExitEvent, type ReturnEvent, type VdsoEvent,
  type SignalEvent, type ProcessEvent,
} from "../kernel-model/hooks.js";
export type { Reg } from "../kernel-model/cpu.js";
export { ERRNO_NAME, ERRNO_MESSAGE, E } from "../kernel-model/errno.js";
