// The listener of `sysgate serve`, in a worker thread of its own (its poll(2) waits there, not on
// the main thread's event loop): accepts connections on the server's socket and reads each
// client's request with recvmsg, descriptors and all, without ever waiting for one client: every
// connection that is still sending is polled together with the socket, and one that has not
// sent its whole request within REQUEST_TIMEOUT_MS is dropped. A complete request goes to the
// main thread with its connection; anything else that arrives is answered with one line and
// the internal-error status, and closed.

import { writeSync } from "node:fs";
import { HEADER_SIZE, ProtocolError, bodyLength, exitFrame, messageFrame, parseRequest, type Request } from "./protocol.js";
import { POLLIN } from "../../../kernel-model/uapi/asm-generic/poll.js";
import { acceptConnection, closeFd, pollFds, receive } from "./unix_socket.js";
import { INTERNAL_ERROR } from "../run.js";
import { clockMs } from "./clock.js";

/** A client has this long to send its request (ms). */
const REQUEST_TIMEOUT_MS = 5_000;
/** Connections still sending their request at once; past it new ones are closed unread. */
const MAX_PENDING = 256;
/** The most descriptors a request carries (fds 0, 1, 2). */
const MAX_FDS = 3;

/** What the main thread gets: a connection whose request is read (the connection is then its to close). */
export interface Incoming { conn: number; request: Request; accepted: number; read: number }

interface Conn { fd: number; header: Buffer; body: Buffer | undefined; got: number; fds: number[]; accepted: number }

/** Polls and reads for ever (the worker ends with the process). */
export function listen(listenFd: number, post: (m: Incoming) => void): never {
  const pending = new Map<number, Conn>();
  const drop = (c: Conn, why?: string) => {
    pending.delete(c.fd);
    if (why !== undefined) {
      try {
        writeSync(c.fd, Buffer.concat([messageFrame(`sysgate serve: ${why}\n`), exitFrame(INTERNAL_ERROR)]));
      } catch { /* the client is gone or not reading: nothing to tell */ }
    }
    closeFd(c.fd);
    for (const fd of c.fds) closeFd(fd);
  };
  /** Reads what is there; the connection is then still pending, handed over, or dropped. */
  const read = (c: Conn): void => {
    for (;;) {
      const into = c.body ?? c.header;
      const r = receive(c.fd, into.subarray(c.got));
      c.fds.push(...r.fds);
      if (r.truncated || c.fds.length > MAX_FDS) return drop(c, `a request carries at most ${MAX_FDS} descriptors`);
      if (r.n === undefined) return; // more later
      if (r.n === 0) return drop(c); // the client went away before its request was complete
      c.got += r.n;
      if (c.got < into.length) continue;
      try {
        if (!c.body) {
          c.body = Buffer.alloc(bodyLength(c.header));
          c.got = 0;
          continue;
        }
        const request = parseRequest(c.body, c.fds);
        pending.delete(c.fd);
        post({ conn: c.fd, request, accepted: c.accepted, read: clockMs() });
      } catch (e) {
        if (!(e instanceof ProtocolError)) throw e;
        drop(c, e.message);
      }
      return;
    }
  };
  for (;;) {
    const conns = [...pending.values()];
    const ready = pollFds([{ fd: listenFd, events: POLLIN }, ...conns.map((c) => ({ fd: c.fd, events: POLLIN }))], 1000);
    conns.forEach((c, i) => { if (ready[i + 1]) read(c); });
    if (ready[0]) {
      for (let fd; (fd = accepted(listenFd)) !== undefined;) {
        if (pending.size >= MAX_PENDING) { closeFd(fd); continue; }
        const c: Conn = { fd, header: Buffer.alloc(HEADER_SIZE), body: undefined, got: 0, fds: [], accepted: clockMs() };
        pending.set(fd, c);
        read(c); // the request is usually there already
      }
    }
    const now = clockMs();
    for (const c of pending.values()) if (now - c.accepted > REQUEST_TIMEOUT_MS) drop(c, "the request did not arrive in time");
  }
}

const nap = new Int32Array(new SharedArrayBuffer(4));

/** The next connection; none while this process is out of descriptors (EMFILE: a pause, then the next poll tries again). */
function accepted(listenFd: number): number | undefined {
  try {
    return acceptConnection(listenFd);
  } catch {
    Atomics.wait(nap, 0, 0, 100);
    return undefined;
  }
}
