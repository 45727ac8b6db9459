// The panes of `sysgate step`. Each one is a pure function of the session's data and its size:
// a header line and exactly `height` lines cut to `width` columns, so the frame never wraps.

import { Box, Text } from "ink";
import type { ReactNode } from "react";
import type { DisasmLine } from "./disasm.js";
import type { StageView } from "./entry_path.js";
import { fit, fitLine, hex } from "./format.js";
import type { PtRegsLine, RegView, StackLine } from "./session.js";

function Pane(props: { title: string; width: number; height: number; children?: ReactNode; lines?: ReactNode[] }) {
  const lines = props.lines ?? [];
  const pad = Math.max(0, props.height - lines.length);
  return (
    <Box flexDirection="column" width={props.width} height={props.height + 1} overflow="hidden">
      <Text inverse bold>{fit(" " + props.title, props.width)}</Text>
      {lines.slice(0, props.height)}
      {Array.from({ length: pad }, (_, i) => <Text key={`pad${i}`}> </Text>)}
    </Box>
  );
}

/** Syscalls are numbered; signal, fork/exec and exit lines (`marker`) are not, and are dimmed. */
export function SyscallList(props: { lines: { index: number; text: string; key?: string; marker?: boolean }[]; selected: number | undefined; width: number; height: number; filter: string; breakpoints: string[] }) {
  const { lines, height, width } = props;
  let first = Math.max(0, lines.length - height); // follow the newest
  const sel = lines.findIndex((l) => !l.marker && l.index === props.selected);
  if (sel >= 0 && sel < first) first = sel;
  const shown = lines.slice(first, first + height);
  const title = `Syscalls ${lines.filter((l) => !l.marker).length}${props.filter ? ` /${props.filter}` : ""}${props.breakpoints.length ? `  break: ${props.breakpoints.join(",")}` : ""}`;
  const rows = shown.length
    ? shown.map((l) => {
      if (l.marker) return <Text key={l.key ?? l.text} color="magenta">{fit(`     ${l.text}`, width)}</Text>;
      const on = l.index === props.selected;
      return <Text key={l.key ?? l.index} inverse={on} color={on ? "cyan" : undefined}>{fitLine(`${on ? "▶" : " "}${String(l.index + 1).padStart(3)} ${l.text}`, width)}</Text>;
    })
    : [<Text key="none" dimColor>{fit(props.filter ? "  (no syscall matches the filter)" : "  (none yet: n runs to the next one)", width)}</Text>];
  return <Pane title={title} width={width} height={height} lines={rows} />;
}

/** Stage lines always show; detail lines go to the current stage first, then the CPU transition, then the rest. */
export function EntryPath(props: { title: string; stages: StageView[]; width: number; height: number }) {
  const { stages, width, height } = props;
  let budget = height - stages.length;
  const order = [...stages].sort((a, b) => rank(a) - rank(b));
  const detail = new Map<StageView, string[]>();
  for (const s of order) {
    const take = Math.max(0, Math.min(budget, s.detail.length));
    detail.set(s, s.detail.slice(0, take));
    budget -= take;
  }
  const rows: ReactNode[] = [];
  for (const s of stages) {
    const mark = s.state === "current" ? "▶" : s.state === "done" ? "✓" : "·";
    const line = `${mark} ${s.label.padEnd(7)} ${s.title}`;
    rows.push(s.state === "current"
      ? <Text key={s.id} bold color="yellow">{fit(line, width)}</Text>
      : <Text key={s.id} dimColor={s.state === "pending"}>{fit(line, width)}</Text>);
    for (const [i, d] of (detail.get(s) ?? []).entries()) rows.push(<Text key={`${s.id}.${i}`} color={s.state === "current" ? "yellow" : undefined} dimColor={s.state === "pending"}>{fit(`    ${d}`, width)}</Text>);
  }
  if (!stages.length) rows.push(<Text key="none" dimColor>{fit("  no syscall yet", width)}</Text>);
  return <Pane title={`Entry path: ${props.title}`} width={width} height={height} lines={rows} />;
}
const rank = (s: StageView) => (s.state === "current" ? 0 : s.id === "transition" ? 1 : s.state === "done" ? 2 : 3);

export function Registers(props: { regs: RegView[]; bits: 64 | 32; width: number; height: number; cpl: number }) {
  const w = props.bits === 64 ? 16 : 8;
  const digits = (name: string) => (name.length === 2 && name.endsWith("s") ? 4 : name.endsWith("flags") ? 8 : w);
  const cell = (r: RegView) => `${r.name.padStart(3)} ${hex(r.value, digits(r.name))}${r.changed ? "*" : " "}`;
  const colW = Math.max(...props.regs.map((r) => Math.max(3, r.name.length) + 1 + digits(r.name))) + 2;
  const perLine = Math.max(1, Math.floor((props.width + 1) / colW)); // the last cell needs no gap
  const rows: ReactNode[] = [];
  for (let i = 0; i < props.regs.length; i += perLine) {
    const group = props.regs.slice(i, i + perLine);
    rows.push(
      <Text key={i} wrap="truncate">
        {group.map((r, j) => <Text key={r.name} color={r.changed ? "red" : undefined} bold={r.changed}>{j < group.length - 1 ? cell(r).padEnd(colW) : cell(r)}</Text>)}
      </Text>,
    );
  }
  return <Pane title={`Registers  CPL ${props.cpl}  (* changed)`} width={props.width} height={props.height} lines={rows} />;
}

export function Disassembly(props: { lines: DisasmLine[]; bits: 64 | 32; width: number; height: number; where: string }) {
  const w = props.bits === 64 ? 16 : 8;
  const rows: ReactNode[] = [];
  for (const l of props.lines) {
    if (l.label && !l.current && rows.length < props.height - 1) rows.push(<Text key={`l${l.address}`} color="magenta">{fit(`<${l.label}>:`, props.width)}</Text>);
    const text = `${l.current ? "▶" : " "}${hex(l.address, w)} ${l.text}${l.current && l.label ? `  <${l.label}>` : ""}`;
    rows.push(<Text key={String(l.address)} inverse={l.current} bold={l.current}>{fit(text, props.width)}</Text>);
  }
  // keep the current line visible when labels pushed it down
  const cur = rows.findIndex((r) => (r as { props: { inverse?: boolean } }).props.inverse);
  const start = cur >= props.height ? cur - props.height + 1 : 0;
  return <Pane title={`Code  ${props.where}`} width={props.width} height={props.height} lines={rows.slice(start)} />;
}

export function Stack(props: { lines: StackLine[]; bits: 64 | 32; width: number; height: number; kernel: boolean }) {
  const w = props.bits === 64 ? 16 : 8;
  const rows = props.lines.map((l) => (
    <Text key={String(l.address)} bold={l.sp}>{fit(`${l.sp ? "sp→" : "   "}${hex(l.address, w)} ${hex(l.value, w)}${l.note ? ` <${l.note}>` : ""}`, props.width)}</Text>
  ));
  return <Pane title={`Stack (${props.kernel ? "kernel" : "user"})`} width={props.width} height={props.height} lines={rows} />;
}

export function PtRegsView(props: { frame: { address: bigint; lines: PtRegsLine[] } | undefined; width: number; height: number }) {
  const f = props.frame;
  if (!f) return <Pane title="pt_regs" width={props.width} height={props.height} lines={[<Text key="x" dimColor>{fit("  only while in the kernel (CPL 0)", props.width)}</Text>]} />;
  const colW = 10 + Math.max(...f.lines.map((l) => hex(l.value).length)); // mark, name, value, gap
  const cols = Math.max(1, Math.floor(props.width / colW));
  const perCol = Math.ceil(f.lines.length / cols);
  const rows: ReactNode[] = [];
  for (let r = 0; r < perCol; r++) {
    const cells: ReactNode[] = [];
    for (let c = 0; c < cols; c++) {
      const l = f.lines[c * perCol + r];
      if (!l) continue;
      cells.push(<Text key={l.field} dimColor={!l.pushed}>{fit(`${l.pushed ? " " : "·"}${l.field.padStart(7)} ${hex(l.value)}`, colW)}</Text>);
    }
    rows.push(<Text key={r} wrap="truncate">{cells}</Text>);
  }
  return <Pane title={`pt_regs at ${hex(f.address)} (· not on the stack now)`} width={props.width} height={props.height} lines={rows} />;
}

export function Memory(props: { address: bigint; bytes: Buffer; width: number; height: number; bits: 64 | 32; following: string }) {
  const w = props.bits === 64 ? 12 : 8;
  const per = props.width >= w + 2 + 16 * 3 + 16 ? 16 : props.width >= w + 2 + 8 * 3 + 8 ? 8 : 4;
  const rows: ReactNode[] = [];
  for (let i = 0; i < props.height; i++) {
    const chunk = props.bytes.subarray(i * per, i * per + per);
    const a = props.address + BigInt(i * per);
    if (!chunk.length) {
      rows.push(<Text key={i} dimColor>{fit(`${hex(a, w)}  (not mapped)`, props.width)}</Text>);
      break;
    }
    const hexs = [...chunk].map((b) => hex(b, 2)).join(" ").padEnd(per * 3);
    const ascii = [...chunk].map((b) => (b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : ".")).join("");
    rows.push(<Text key={i}>{fit(`${hex(a, w)}  ${hexs}${ascii}`, props.width)}</Text>);
  }
  return <Pane title={`Memory ${hex(props.address)} (${props.following}; m: address)`} width={props.width} height={props.height} lines={rows} />;
}

export function Output(props: { stdout: string; stderr: string; width: number; height: number }) {
  const lines: { t: string; err: boolean }[] = [];
  for (const [text, err] of [[props.stdout, false], [props.stderr, true]] as const) {
    if (!text) continue;
    for (const l of text.replace(/\n$/, "").split("\n")) lines.push({ t: l.replace(/[\x00-\x08\x0b-\x1f\x7f]/g, "."), err });
  }
  const shown = lines.slice(-props.height);
  const rows = shown.length
    ? shown.map((l, i) => <Text key={i} color={l.err ? "red" : undefined}>{fit(l.t, props.width)}</Text>)
    : [<Text key="none" dimColor>{fit("  (nothing written yet)", props.width)}</Text>];
  return <Pane title="Guest output" width={props.width} height={props.height} lines={rows} />;
}

export const KEYS = "n:sys s:step i:stage o:out c:cont b:brk p:pause r:back t:task tab ?:help q:quit";

export function StatusBar(props: { width: number; prompt?: { label: string; text: string }; running: boolean }) {
  if (props.prompt) return <Text color="cyan">{fit(`${props.prompt.label}: ${props.prompt.text}█  (Enter: ok, Esc: cancel)`, props.width)}</Text>;
  return <Text inverse>{fit(props.running ? " running...  p:pause  q:quit" : " " + KEYS, props.width)}</Text>;
}

export const HELP_LINES = [
  "n   next syscall: run to the next syscall instruction (or vDSO call)",
  "s   one instruction of the task on view (syscall/sysenter land on",
  "    the entry stub); if it sleeps, of the task the scheduler runs",
  "t   view the next process or thread (header: pid, tid); s steps it",
  "i   next stage of the entry path: instruction, CPU transition, stub,",
  "    generic entry + service routine + exit (one trap), return, user",
  "o   out: run until the return instruction has taken you back to CPL 3",
  "c   continue at full speed (stops at breakpoints; p pauses)",
  "b   break on a syscall name or number (again to remove)",
  "r   step back: every task's registers, memory and the CPU's task",
  "    as before the last key, across context switches (kernel objects,",
  "    e.g. file offsets and output, are not rewound; not over a fork,",
  "    exec, exit or wake-up)",
  "/   filter the syscall list     m   memory pane address (hex)",
  "Tab next inspector: registers, stack, pt_regs, memory, output",
  "q   quit                        ?   close this help",
];

export function Help(props: { width: number; height: number }) {
  return <Pane title="Keys" width={props.width} height={props.height} lines={HELP_LINES.map((l, i) => <Text key={i}>{fit("  " + l, props.width)}</Text>)} />;
}
