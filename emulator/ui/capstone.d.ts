// The package ships no types: just the part of its API the disassembly pane uses.
declare module "@alexaltea/capstone-js" {
  interface Insn { address: bigint | number; mnemonic: string; op_str: string; size: number }
  interface Module {
    ARCH_X86: number;
    MODE_32: number;
    MODE_64: number;
    Capstone: new (arch: number, mode: number) => { disasm(code: number[], address: number | bigint): Insn[] };
  }
  const init: () => Promise<Module>;
  export default init;
}
