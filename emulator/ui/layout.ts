// Pane sizes for a terminal of cols × rows. Everything is sized here, in plain numbers, so the
// panels never wrap and 80×24 stays usable: below ~30 rows the right column shows the
// disassembly and one inspector pane (Tab cycles registers/stack/pt_regs/memory/output); above
// it, the registers and the inspector are both visible.

export type Inspector = "registers" | "stack" | "pt_regs" | "memory" | "output";
export const INSPECTORS: readonly Inspector[] = ["registers", "stack", "pt_regs", "memory", "output"];

export interface Layout {
  cols: number;
  rows: number;
  left: number;
  right: number;
  /** Content lines (without the header line) of each pane; 0 when the pane is hidden. */
  syscalls: number;
  entry: number;
  output: number;
  disasm: number;
  registers: number;
  inspector: number;
  /** Both the registers and another inspector pane fit. */
  split: boolean;
}

export function layout(cols: number, rows: number, bits: 64 | 32): Layout {
  cols = Math.max(60, cols);
  // one line less than the screen: ink clears the whole terminal on every frame as tall as it
  rows = Math.max(20, rows) - 1;
  const body = rows - 2; // title line and status bar
  const left = Math.max(34, Math.floor(cols * 0.45));
  const right = cols - left - 1;
  const regLines = bits === 64 ? 10 : 8;
  const syscalls = Math.max(3, Math.floor(body * 0.22));
  const output = body >= 28 ? Math.max(2, Math.floor(body * 0.15)) : 0;
  const entry = body - (syscalls + 1) - (output ? output + 1 : 0) - 1;
  const disasm = Math.max(4, Math.min(9, Math.floor(body * 0.28)));
  const rest = body - (disasm + 1);
  const split = rest - (regLines + 1) >= 7;
  const registers = split ? regLines : 0;
  const inspector = split ? rest - (regLines + 1) - 1 : rest - 1;
  return { cols, rows, left, right, syscalls, entry, output, disasm, registers, inspector, split };
}
