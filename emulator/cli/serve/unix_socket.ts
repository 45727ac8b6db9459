// The few socket calls `sysgate serve` needs that Node's `net` does not offer: a listening unix
// socket whose connections are read with recvmsg(2), so that the descriptors a client passes as
// SCM_RIGHTS ancillary data (unix(7)) arrive as descriptors of this process instead of being
// dropped; poll(2) on descriptors Node does not own; TIOCGWINSZ on a passed terminal. Bound
// with koffi from the C library the engine's side loads (emulator/cpu/libc.ts). Every descriptor
// is made non-blocking and close-on-exec.

import koffi from "koffi";
import { E } from "../../../kernel-model/errno.js";
import { libcLibrary } from "../../cpu/libc.js";
import { TIOCGWINSZ } from "../../../kernel-model/uapi/asm-generic/ioctls.js";

/** <sys/socket.h> values on x86-64 Linux (poll, ioctl and errno values: kernel-model/uapi, the same on the host). */
const AF_UNIX = 1;
const SOCK_STREAM = 1;
const SOCK_NONBLOCK = 0o4000;
const SOCK_CLOEXEC = 0o2000000;
const SOL_SOCKET = 1;
const SCM_RIGHTS = 1;
const MSG_DONTWAIT = 0x40;
const MSG_CTRUNC = 0x8;
const MSG_CMSG_CLOEXEC = 0x40000000;
/** sizeof(struct sockaddr_un): sa_family_t then sun_path[108]. */
const SOCKADDR_UN_SIZE = 110;
/** Room for the SCM_RIGHTS of a request: CMSG_SPACE(3 ints) = 32; more than that is refused. */
const CONTROL_SIZE = 64;

interface Libc {
  socket(domain: number, type: number, protocol: number): number;
  bind(fd: number, addr: Buffer, len: number): number;
  listen(fd: number, backlog: number): number;
  accept4(fd: number, addr: null, len: null, flags: number): number;
  recvmsg(fd: number, msg: Buffer, flags: number): number;
  poll(fds: Buffer, n: number, timeout: number): number;
  ioctl(fd: number, req: number, arg: Buffer): number;
  close(fd: number): number;
}

let libc: Libc | undefined;

function c(): Libc {
  if (libc) return libc;
  const lib = libcLibrary();
  if (!lib) throw new Error("sysgate serve: the C library (libc.so.6) could not be loaded");
  libc = {
    socket: lib.func("int socket(int domain, int type, int protocol)"),
    bind: lib.func("int bind(int fd, void *addr, uint32_t len)"),
    listen: lib.func("int listen(int fd, int backlog)"),
    accept4: lib.func("int accept4(int fd, void *addr, void *len, int flags)"),
    recvmsg: lib.func("long recvmsg(int fd, void *msg, int flags)"),
    poll: lib.func("int poll(void *fds, unsigned long n, int timeout)"),
    ioctl: lib.func("int ioctl(int fd, unsigned long req, void *arg)"),
    close: lib.func("int close(int fd)"),
  } as unknown as Libc;
  return libc;
}

/** A failed call as Node reports one: an Error with the errno's code. */
function fail(call: string, errno = koffi.errno()): Error {
  const e = new Error(`${call}: errno ${errno}`) as NodeJS.ErrnoException;
  e.errno = errno;
  return e;
}

/** socket + bind + listen on `path` (which must not exist). */
export function listenUnix(path: string): number {
  const name = Buffer.from(path);
  if (name.length >= SOCKADDR_UN_SIZE - 2) throw new Error(`the path is too long for a socket (at most ${SOCKADDR_UN_SIZE - 3} bytes)`);
  const addr = Buffer.alloc(SOCKADDR_UN_SIZE);
  addr.writeUInt16LE(AF_UNIX, 0);
  name.copy(addr, 2);
  const fd = c().socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) throw fail("socket");
  if (c().bind(fd, addr, SOCKADDR_UN_SIZE) < 0 || c().listen(fd, 128) < 0) {
    const e = fail("bind");
    c().close(fd);
    throw e;
  }
  return fd;
}

/** The next waiting connection, or undefined when none waits. */
export function acceptConnection(listenFd: number): number | undefined {
  const fd = c().accept4(listenFd, null, null, SOCK_NONBLOCK | SOCK_CLOEXEC);
  if (fd >= 0) return fd;
  const errno = koffi.errno();
  if (errno === E.EAGAIN || errno === E.EINTR) return undefined;
  throw fail("accept4", errno);
}

/** What one recvmsg gave: bytes (0: the peer closed), or nothing yet; and the descriptors that came. */
export interface Received { n: number | undefined; fds: number[]; truncated: boolean }

/**
 * recvmsg into `dst` without waiting. Descriptors that come with the bytes are returned (and are
 * then ours to close); `truncated` says more came than there was room for (the kernel closed those).
 */
export function receive(fd: number, dst: Buffer): Received {
  const control = Buffer.alloc(CONTROL_SIZE);
  const iov = Buffer.alloc(16); // struct iovec { void *iov_base; size_t iov_len; }
  iov.writeBigUInt64LE(koffi.address(dst) as bigint, 0);
  iov.writeBigUInt64LE(BigInt(dst.length), 8);
  // struct msghdr { name, namelen(+pad), iov, iovlen, control, controllen, flags(+pad) }
  const msg = Buffer.alloc(56);
  msg.writeBigUInt64LE(koffi.address(iov) as bigint, 16);
  msg.writeBigUInt64LE(1n, 24);
  msg.writeBigUInt64LE(koffi.address(control) as bigint, 32);
  msg.writeBigUInt64LE(BigInt(CONTROL_SIZE), 40);
  const n = Number(c().recvmsg(fd, msg, MSG_DONTWAIT | MSG_CMSG_CLOEXEC));
  if (n < 0) {
    const errno = koffi.errno();
    if (errno === E.EAGAIN || errno === E.EINTR) return { n: undefined, fds: [], truncated: false };
    throw fail("recvmsg", errno);
  }
  const fds: number[] = [];
  const controllen = Number(msg.readBigUInt64LE(40));
  // struct cmsghdr { size_t cmsg_len; int cmsg_level; int cmsg_type; data }, each 8-aligned
  for (let off = 0; off + 16 <= controllen;) {
    const len = Number(control.readBigUInt64LE(off));
    if (len < 16) break;
    if (control.readInt32LE(off + 8) === SOL_SOCKET && control.readInt32LE(off + 12) === SCM_RIGHTS) {
      for (let p = off + 16; p + 4 <= off + len; p += 4) fds.push(control.readInt32LE(p));
    }
    off += (len + 7) & ~7;
  }
  return { n, fds, truncated: (msg.readInt32LE(48) & MSG_CTRUNC) !== 0 };
}

/** poll(2): the revents of each descriptor, after at most `timeoutMs` (-1: no limit). */
export function pollFds(fds: readonly { fd: number; events: number }[], timeoutMs: number): number[] {
  const b = Buffer.alloc(8 * fds.length); // struct pollfd { int fd; short events; short revents; }
  fds.forEach((p, i) => {
    b.writeInt32LE(p.fd, 8 * i);
    b.writeInt16LE(p.events, 8 * i + 4);
  });
  const r = c().poll(b, fds.length, timeoutMs);
  if (r < 0 && koffi.errno() !== E.EINTR) throw fail("poll");
  return fds.map((_, i) => (r > 0 ? b.readUInt16LE(8 * i + 6) : 0));
}

/** The terminal size behind `fd` ([rows, cols]), or undefined when it is no terminal. */
export function windowSizeOf(fd: number): [number, number] | undefined {
  const ws = Buffer.alloc(8);
  if (c().ioctl(fd, TIOCGWINSZ, ws) < 0) return undefined;
  return [ws.readUInt16LE(0), ws.readUInt16LE(2)];
}

export function closeFd(fd: number): void {
  c().close(fd);
}
