// What the main thread and the connection worker (connection_worker.ts) tell each other.

/** Slots of the shared Int32Array. */
export const CTRL = {
  /** Bumped for every message the worker posts: the main thread waits on it. */
  seq: 0,
  /** Set by an interrupt byte or a lost connection; cleared by the main thread once it stopped. */
  interrupt: 1,
  /** The connection is gone. */
  closed: 2,
  /** The guest is running (only then does an interrupt stop engines). */
  running: 3,
} as const;

export interface WorkerConfig {
  ctrl: SharedArrayBuffer;
  listen: { port?: number; path?: string };
}

export type FromWorker =
  | { t: "listening"; where: string }
  | { t: "error"; message: string }
  | { t: "connected"; peer: string }
  | { t: "packet"; data: Uint8Array }
  | { t: "interrupt" }
  | { t: "closed" };

export type ToWorker =
  | { t: "send"; data: Uint8Array }
  | { t: "noack" }
  | { t: "engines"; words: SharedArrayBuffer[] }
  | { t: "close" };
