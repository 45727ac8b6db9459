// `sysgate step` in a real terminal for the tests: a tmux session running the built CLI, keys sent
// to it, the screen read back.

import { spawnSync } from "node:child_process";
import { CLI, ROOT } from "../run/cli.js";

export const hasTmux = spawnSync("tmux", ["-V"]).status === 0;

export class Terminal {
  private readonly name = "step";
  /**
   * Each terminal has a tmux server of its own: a server exits once its last session is killed,
   * and a session started meanwhile on the same server fails ("server exited unexpectedly"), as
   * happened between test files running in parallel and between one test and the next.
   */
  private readonly socket = `sysgate-test-${process.pid}-${Math.random().toString(36).slice(2, 10)}`;
  private tmux(...args: string[]) {
    return spawnSync("tmux", ["-L", this.socket, ...args], { encoding: "utf8" });
  }

  /**
   * `sysgate step ARGS...` in a cols × rows terminal, once it shows its first stop. React's
   * development build unless `production` (it logs changed props, and once died on a BigInt among them).
   */
  static async start(args: string[], cols = 100, rows = 30, production = false): Promise<Terminal> {
    const t = new Terminal();
    const env = production ? [] : ["env", "NODE_ENV=development"];
    const r = t.tmux("new-session", "-d", "-s", t.name, "-x", String(cols), "-y", String(rows), "-c", ROOT,
      ...env, process.execPath, CLI, "step", ...args);
    if (r.status !== 0) throw new Error(`tmux: ${r.stderr}`);
    await t.screenWith("paused");
    return t;
  }

  screen(): string {
    return this.tmux("capture-pane", "-p", "-t", this.name).stdout;
  }

  async screenWith(want: string | RegExp, timeout = 30000): Promise<string> {
    return this.until((s) => (typeof want === "string" ? s.includes(want) : want.test(s)), `'${want}'`, timeout);
  }

  /** The screen once `ok` holds for it (the UI must not have died meanwhile). */
  async until(ok: (screen: string) => boolean, what: string, timeout = 30000): Promise<string> {
    const t0 = Date.now();
    for (;;) {
      const s = this.screen();
      if (/TypeError|Error:/.test(s)) throw new Error(`the UI died:\n${s}`);
      if (ok(s)) return s;
      if (Date.now() - t0 > timeout) throw new Error(`no ${what} on the screen:\n${s}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  send(...k: string[]): void {
    this.tmux("send-keys", "-t", this.name, ...k);
  }

  /** Sends a key and waits until the header no longer says the guest runs (or shows `want`). */
  async key(k: string, want: string | RegExp = /│ (paused|ended) │/): Promise<string> {
    this.send(k);
    await new Promise((r) => setTimeout(r, 150));
    return this.screenWith(want);
  }

  /** A prompt (b, /, m): its key, the text, Enter, and the prompt gone. */
  async prompt(k: string, label: string, text: string): Promise<string> {
    await this.key(k, label);
    if (text) this.send("-l", text);
    this.send("Enter");
    return this.until((s) => !s.includes(label) && /│ (paused|ended) │/.test(s), `the prompt '${label}' closed`);
  }

  close(): void {
    this.tmux("kill-server");
  }
}

/** The header line. */
export const header = (s: string) => s.split("\n")[0];

/** The register pane's lines, cut out of the right-hand column where its title is. */
export function registerLines(s: string): string[] {
  const lines = s.split("\n");
  const at = lines.findIndex((l) => l.includes(" Registers  CPL"));
  if (at < 0) throw new Error(`no register pane on the screen:\n${s}`);
  const column = lines[at].indexOf(" Registers  CPL");
  const out: string[] = [];
  for (const l of lines.slice(at + 1)) {
    const cell = l.slice(column);
    if (!/^\s*[a-z0-9]{2,6} [0-9a-f]{4,16}/.test(cell)) break;
    out.push(cell.trimEnd());
  }
  return out;
}
