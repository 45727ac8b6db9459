// The wire format between sysgate-client and `sysgate serve` (the client's source,
// emulator/cli/client/sysgate-client.c, describes it at its top; integers little-endian):
//   request  "SGR1", u32 body length, body: u32 flags (bit N: the client's fd N is attached),
//            i32 pid, i32 ppid, u32 umask, u16 rows, u16 cols, u32 argc, u32 envc, then
//            NUL-terminated strings: cwd, argv (from the command on), env
//   client → server after it: 'S' u32 signal
//   server → client: 'X' u32 exit status (the last frame); 'M' u32 length, text for stderr

export const MAGIC = "SGR1";
export const HEADER_SIZE = 8;
const FIXED = 28;
/**
 * The largest request body: argv and environment as execve takes them (a quarter of an 8 MiB
 * stack, 2 MiB, with room for the strings' pointers) and a path; anything larger is refused
 * before it is read.
 */
export const MAX_BODY = 4 << 20;

export interface Request {
  /** Which of the client's fds 0, 1, 2 came, in that order, as our descriptors (undefined: closed there). */
  stdio: [number | undefined, number | undefined, number | undefined];
  pid: number;
  ppid: number;
  umask: number;
  /** The client's terminal size, when one of its fds is a terminal. */
  winsize: [number, number] | undefined;
  cwd: string;
  /** From the command on: "run", run options, the program, its arguments. */
  argv: string[];
  env: string[];
}

export class ProtocolError extends Error {}

/** The body's length from the 8-byte header (ProtocolError when it is not a request). */
export function bodyLength(header: Buffer): number {
  if (header.toString("latin1", 0, 4) !== MAGIC) throw new ProtocolError("not a sysgate-client request");
  const n = header.readUInt32LE(4);
  if (n > MAX_BODY) throw new ProtocolError(`request too large (${n} bytes; argument list and environment at most ${MAX_BODY >> 20} MiB)`);
  if (n < FIXED) throw new ProtocolError("request too short");
  return n;
}

/** Reads a body; `fds` are the descriptors that came with it, in order. */
export function parseRequest(body: Buffer, fds: number[]): Request {
  const flags = body.readUInt32LE(0);
  const wanted = [0, 1, 2].filter((i) => flags & (1 << i));
  if (flags & ~7 || wanted.length !== fds.length) throw new ProtocolError(`the request announces ${wanted.length} descriptors and ${fds.length} came`);
  const stdio: Request["stdio"] = [undefined, undefined, undefined];
  wanted.forEach((fd, i) => { stdio[fd] = fds[i]; });
  const rows = body.readUInt16LE(16), cols = body.readUInt16LE(18);
  const argc = body.readUInt32LE(20), envc = body.readUInt32LE(24);
  const strings: string[] = [];
  let at = FIXED;
  // no more strings than there are bytes: a count from the wire is not trusted further
  if (argc + envc + 1 > body.length - FIXED) throw new ProtocolError("request strings cut short");
  for (let i = 0; i < 1 + argc + envc; i++) {
    const end = body.indexOf(0, at);
    if (end < 0) throw new ProtocolError("request strings cut short");
    strings.push(body.toString("utf8", at, end));
    at = end + 1;
  }
  if (at !== body.length) throw new ProtocolError("request has bytes after its strings");
  return {
    stdio, pid: body.readInt32LE(4), ppid: body.readInt32LE(8), umask: body.readUInt32LE(12) & 0o777,
    winsize: rows || cols ? [rows, cols] : undefined,
    cwd: strings[0], argv: strings.slice(1, 1 + argc), env: strings.slice(1 + argc),
  };
}

/** The 'X' frame: the exit status. */
export function exitFrame(status: number): Buffer {
  const b = Buffer.alloc(5);
  b.write("X", 0, "latin1");
  b.writeUInt32LE(status & 0xff, 1);
  return b;
}

/** The 'M' frame: a line for the client to print on its stderr. */
export function messageFrame(text: string): Buffer {
  const t = Buffer.from(text);
  const b = Buffer.alloc(5 + t.length);
  b.write("M", 0, "latin1");
  b.writeUInt32LE(t.length, 1);
  t.copy(b, 5);
  return b;
}
