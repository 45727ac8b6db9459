// The full-screen `sysgate step` view: lays the panels out for the terminal's size, maps keys
// to the session's actions, and keeps the UI responsive while the guest runs by running it in
// slices between renders.

import { Box, Text, useApp, useInput, useStdout, type Key } from "ink";
import { useEffect, useReducer, useRef, useState } from "react";
import { mechanismTitle } from "./entry_path.js";
import { fit } from "./format.js";
import { INSPECTORS, layout, type Inspector } from "./layout.js";
import { Disassembly, EntryPath, Help, Memory, Output, PtRegsView, Registers, Stack, StatusBar, SyscallList } from "./panels.js";
import type { RunMode, StepSession } from "./session.js";

type PromptKind = "break" | "filter" | "memory";
const PROMPT_LABEL: Record<PromptKind, string> = { break: "break on syscall (name or number)", filter: "filter syscalls", memory: "memory address (hex)" };

export interface AppProps {
  session: StepSession;
  /** Program name for the title line. */
  name: string;
  /** Fixed size (tests); otherwise the terminal's, following resizes. */
  cols?: number;
  rows?: number;
  onQuit?: () => void;
  /** Milliseconds of guest time per slice while running. */
  sliceMs?: number;
}

export function App(props: AppProps) {
  const { session } = props;
  const { exit } = useApp();
  const { stdout } = useStdout();
  const [, redraw] = useReducer((n: number) => n + 1, 0);
  const [size, setSize] = useState({ cols: stdout?.columns || 80, rows: stdout?.rows || 24 });
  // UI state lives in a ref, not in useState: ink re-subscribes the input handler in an effect
  // after each frame, so a key typed right after a frame reaches the previous handler, which
  // must not see stale state (measured: the second of two quick keys was lost).
  const ui = useRef<{ prompt?: { kind: PromptKind; text: string }; filter: string; help: boolean; inspector: Inspector | "auto"; memAddr?: bigint;
    queue: { input: string; key: Key }[] }>(
    { filter: "", help: false, inspector: "auto", queue: [] }).current;
  const setPrompt = (p: typeof ui.prompt) => { ui.prompt = p; redraw(); };
  const setFilter = (f: string) => { ui.filter = f; redraw(); };
  const setHelp = (h: boolean) => { ui.help = h; redraw(); };
  const setInspector = (i: Inspector | "auto") => { ui.inspector = i; redraw(); };
  const setMemAddr = (a: bigint | undefined) => { ui.memAddr = a; redraw(); };
  const runTimer = useRef<NodeJS.Timeout | undefined>(undefined);

  useEffect(() => {
    if (!stdout || props.cols) return;
    const onResize = () => setSize({ cols: stdout.columns || 80, rows: stdout.rows || 24 });
    stdout.on("resize", onResize);
    return () => { stdout.off("resize", onResize); };
  }, [stdout, props.cols]);
  useEffect(() => () => clearTimeout(runTimer.current), []);

  // While a mode runs, one slice per timer tick: keys (p, q) get in between slices.
  const pump = () => {
    runTimer.current = undefined;
    const stopped = session.slice(props.sliceMs ?? 30);
    redraw();
    if (!stopped) runTimer.current = setTimeout(pump, 0);
    // keys typed while the guest ran, in order, until one of them runs it again
    else while (ui.queue.length > 0 && !session.running) { const k = ui.queue.shift()!; handleKey(k.input, k.key); }
  };
  const startRun = (mode: RunMode) => {
    if (session.start(mode)) runTimer.current = setTimeout(pump, 0);
    redraw();
  };

  // Keys typed faster than a frame arrive as one chunk ("nnn"): outside a prompt each is a key.
  useInput((input, key) => {
    if (ui.prompt || input.length <= 1 || key.ctrl || key.meta || /[\r\n\x1b]/.test(input)) handleKey(input, key);
    else for (const ch of input) handleKey(ch, key);
  });

  function handleKey(input: string, key: Key): void {
    const { prompt, filter, help, inspector } = ui;
    if (prompt) {
      // pasted text arrives as one input, Enter included
      const enter = key.return || /[\r\n]$/.test(input);
      if (enter && !key.return) prompt.text += input.replace(/[\r\n]+$/, "");
      if (key.escape) setPrompt(undefined);
      else if (enter) {
        const text = prompt.text.trim();
        if (prompt.kind === "filter") setFilter(text);
        else if (prompt.kind === "break") {
          const err = session.toggleBreakpoint(text);
          if (err) session.message = err;
        } else if (prompt.kind === "memory") {
          if (!text) setMemAddr(undefined);
          else if (/^(0x)?[0-9a-f]+$/i.test(text)) { setMemAddr(BigInt(text.startsWith("0x") ? text : "0x" + text)); setInspector("memory"); }
          else session.message = `not a hex address: ${text}`;
        }
        setPrompt(undefined);
      } else if (key.backspace || key.delete) setPrompt({ ...prompt, text: prompt.text.slice(0, -1) });
      else if (input && !key.ctrl && !key.meta) setPrompt({ ...prompt, text: prompt.text + input });
      return;
    }
    if (input === "q" || (key.ctrl && input === "c")) {
      clearTimeout(runTimer.current);
      props.onQuit?.();
      exit();
      return;
    }
    if (input === "?") { setHelp(!help); return; }
    if (session.running) {
      if (input === "p") { session.pause(); redraw(); }
      // anything else waits for the run to stop (a bounded queue: a held-down key cannot pile up)
      else if (ui.queue.length < 64) ui.queue.push({ input, key });
      return;
    }
    switch (input) {
      case "n": startRun("syscall"); return;
      case "i": startRun("stage"); return;
      case "o": startRun("out"); return;
      case "c": startRun("continue"); return;
      case "s": session.stepInstruction(); break;
      case "r": session.stepBack(); break;
      case "t": session.viewNext(); break;
      case "p": session.message = "not running"; break;
      case "b": setPrompt({ kind: "break", text: "" }); return;
      case "/": setPrompt({ kind: "filter", text: filter }); return;
      case "m": setPrompt({ kind: "memory", text: "" }); return;
      default:
        if (key.tab) {
          const lay = layout(props.cols ?? size.cols, props.rows ?? size.rows, session.bits);
          const cur = inspector === "auto" ? autoInspector(session, lay.split) : inspector;
          const list = lay.split ? INSPECTORS.filter((x) => x !== "registers") : INSPECTORS;
          setInspector(list[(list.indexOf(cur) + 1) % list.length]);
          return;
        }
        return;
    }
    redraw();
  }

  const { prompt, filter, help, inspector, memAddr } = ui;
  const cols = props.cols ?? size.cols, rows = props.rows ?? size.rows;
  const bits = session.bits;
  const lay = layout(cols, rows, bits);
  const kernel = session.cpl() === 0;
  const ep = session.entryPath();
  const pid = session.multiProcess ? ` ${session.viewName}` : "";
  const title = (ep.record ? mechanismTitle(ep.record.mechanism, bits === 64 && session.abi === "i386") : bits === 64 ? "SYSCALL (x86-64)" : "int $0x80 / SYSENTER (i386)") + pid;
  const state = session.running ? "running..." : session.exit ? "ended" : "paused";
  // with several tasks, the panels describe one: its pid (and tid, for a thread) heads the screen
  // which kernel: x86-64, i386 in compatibility mode under it (IA32 emulation), or the native i386 one
  const kind = bits === 32 ? "i386" : session.abi === "i386" ? "i386 on x86-64, compat" : "x86-64";
  const head = ` sysgate step ${props.name} (${kind})${pid ? ` │${pid}` : ""} │ ${state} │ ${session.message}`;

  let right;
  if (!help) {
    const shown = inspector === "auto" ? autoInspector(session, lay.split) : inspector;
    const inspH = lay.inspector;
    const pane = (() => {
      switch (shown) {
        case "registers": return <Registers regs={session.registers()} bits={bits} width={lay.right} height={inspH} cpl={session.cpl()} />;
        case "stack": return <Stack lines={session.stack(inspH)} bits={bits} width={lay.right} height={inspH} kernel={kernel} />;
        case "pt_regs": return <PtRegsView frame={session.ptRegs()} width={lay.right} height={inspH} />;
        case "memory": {
          const addr = memAddr ?? session.defaultMemoryAddress();
          return <Memory address={addr} bytes={session.memory(addr, inspH * 16)} bits={bits} width={lay.right} height={inspH} following={memAddr !== undefined ? "fixed" : "syscall buffer or sp"} />;
        }
        case "output": { const o = session.output(); return <Output stdout={o.stdout} stderr={o.stderr} width={lay.right} height={inspH} />; }
      }
    })();
    right = (
      <>
        <Disassembly lines={session.disassembly(lay.disasm)} bits={bits} width={lay.right} height={lay.disasm} where={session.where()} />
        {lay.split && <Registers regs={session.registers()} bits={bits} width={lay.right} height={lay.registers} cpl={session.cpl()} />}
        {pane}
      </>
    );
  }
  const out = lay.output ? session.output() : undefined;
  // The list's lines only, not the records behind them: props are plain data (React's development
  // build logs changed props with JSON.stringify, and a record's raw arguments are BigInts).
  const listLines = session.syscallLines(filter).map(({ index, key, text, marker }) => ({ index, key, text, marker }));
  return (
    <Box flexDirection="column" width={lay.cols} height={lay.rows}>
      <Text inverse color={session.exit ? "red" : session.running ? "green" : "blue"}>{fit(head, lay.cols)}</Text>
      {help ? <Help width={lay.cols} height={lay.rows - 3} /> : <Box flexDirection="row" height={lay.rows - 2}>
        <Box flexDirection="column" width={lay.left}>
          <SyscallList lines={listLines} selected={session.current?.index} width={lay.left} height={lay.syscalls} filter={filter} breakpoints={[...session.breakpoints]} />
          <EntryPath title={title} stages={ep.stages} width={lay.left} height={lay.entry} />
          {out && <Output stdout={out.stdout} stderr={out.stderr} width={lay.left} height={lay.output} />}
        </Box>
        <Box width={1} />
        <Box flexDirection="column" width={lay.right}>{right}</Box>
      </Box>}
      <StatusBar width={lay.cols} running={session.running} prompt={prompt && { label: PROMPT_LABEL[prompt.kind], text: prompt.text }} />
    </Box>
  );
}

/** Registers in user mode; in the kernel, the pt_regs frame (the user's registers as saved). */
function autoInspector(session: StepSession, split: boolean): Inspector {
  if (session.cpl() === 0) return "pt_regs";
  return split ? "stack" : "registers";
}
