/*
 * sysgate-client: the thin client of `sysgate serve`. It costs a program start of a few
 * milliseconds instead of Node's ~100 ms, so a test suite that runs one guest program per step
 * pays for the guest, not for starting sysgate:
 *
 *   sysgate serve &                        # once: a server with warm workers
 *   sysgate-client run [run options] PROGRAM [ARGS...]
 *
 * It connects to the server's unix socket ($SYSGATE_SOCKET, else $XDG_RUNTIME_DIR/sysgate.sock,
 * else /tmp/sysgate-$UID/sock), sends one request (its argv, environment, working directory,
 * pid, parent pid and umask) with its fds 0, 1 and 2 attached as SCM_RIGHTS (unix(7)), so the
 * guest reads and writes this process's own stdin/stdout/stderr, offsets and all. Then it waits
 * for the guest's exit status and exits with it (128+N when the guest died of signal N, as
 * `sysgate run` does). SIGINT, SIGTERM, SIGHUP and SIGQUIT sent to it are passed on to the guest.
 *
 * The wire format (all integers little-endian, as on x86; emulator/cli/serve/protocol.ts reads it):
 *   request:  "SGR1", u32 body length, body =
 *             u32 flags (bit N: fd N is attached; the fds come in order with the first byte),
 *             i32 pid, i32 ppid, u32 umask, u16 rows, u16 cols (0 0: not a terminal),
 *             u32 argc, u32 envc, then NUL-terminated strings: cwd, argv[0..argc), env[0..envc)
 *             (argv starts at the command: "run", options, the program, its arguments)
 *   then, client to server: 'S' u32 signal     (a signal to pass on)
 *         server to client: 'X' u32 status     (the end: exit with it)
 *                           'M' u32 n, n bytes (a message for stderr, when the server cannot
 *                                               write to the client's own)
 * Statuses of its own: 2 for a usage error, 70 (as sysgate's internal error) when there is no
 * server or the server goes away.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/un.h>
#include <unistd.h>

extern char **environ;

#define STATUS_USAGE 2
#define STATUS_INTERNAL 70
#define SERVE_HINT "start one with `sysgate serve &`"

static const char *me = "sysgate-client";
static int sigpipe_fds[2] = {-1, -1};

static void on_signal(int sig) {
  unsigned char b = (unsigned char)sig;
  int saved = errno;
  if (write(sigpipe_fds[1], &b, 1) < 0) { /* the pipe is full: the server has plenty to do already */ }
  errno = saved;
}

/* A growing byte buffer for the request. */
struct buf { char *p; size_t n, cap; };

static void put(struct buf *b, const void *src, size_t n) {
  if (b->n + n > b->cap) {
    size_t cap = b->cap ? b->cap : 4096;
    while (cap < b->n + n) cap *= 2;
    char *p = realloc(b->p, cap);
    if (!p) { fprintf(stderr, "%s: out of memory\n", me); exit(STATUS_INTERNAL); }
    b->p = p;
    b->cap = cap;
  }
  memcpy(b->p + b->n, src, n);
  b->n += n;
}
static void put_u32(struct buf *b, uint32_t v) { put(b, &v, 4); }
static void put_u16(struct buf *b, uint16_t v) { put(b, &v, 2); }
static void put_str(struct buf *b, const char *s) { put(b, s, strlen(s) + 1); }

/* The socket's path: $SYSGATE_SOCKET, $XDG_RUNTIME_DIR/sysgate.sock, /tmp/sysgate-$UID/sock. */
static const char *socket_path(char *space, size_t n) {
  const char *p = getenv("SYSGATE_SOCKET");
  if (p && *p) return p;
  p = getenv("XDG_RUNTIME_DIR");
  if (p && *p) snprintf(space, n, "%s/sysgate.sock", p);
  else snprintf(space, n, "/tmp/sysgate-%u/sock", (unsigned)getuid());
  return space;
}

static void usage(void) {
  fprintf(stderr,
          "usage: %s run [run options] PROGRAM [ARGS...]\n"
          "  runs PROGRAM on a running `sysgate serve` (socket: $SYSGATE_SOCKET, else\n"
          "  $XDG_RUNTIME_DIR/sysgate.sock, else /tmp/sysgate-$UID/sock); the run options are\n"
          "  those of `sysgate run` (see `sysgate help`)\n", me);
}

/* Writes all of `n` bytes to the socket (MSG_NOSIGNAL: a gone server is an error, not SIGPIPE). */
static int send_all(int fd, const char *p, size_t n) {
  while (n > 0) {
    ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
    if (w < 0) { if (errno == EINTR) continue; return -1; }
    p += w;
    n -= (size_t)w;
  }
  return 0;
}

static int read_all(int fd, void *dst, size_t n) {
  char *p = dst;
  while (n > 0) {
    ssize_t r = read(fd, p, n);
    if (r < 0) { if (errno == EINTR) continue; return -1; }
    if (r == 0) return -1;
    p += r;
    n -= (size_t)r;
  }
  return 0;
}

static void server_gone(void) {
  fprintf(stderr, "%s: the sysgate server went away before the program ended\n", me);
  exit(STATUS_INTERNAL);
}

int main(int argc, char **argv) {
  if (argc < 2 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
    usage();
    return argc < 2 ? STATUS_USAGE : 0;
  }
  if (strcmp(argv[1], "run") != 0) {
    if (strcmp(argv[1], "trace") == 0 || strcmp(argv[1], "step") == 0)
      fprintf(stderr, "%s: only `run` is served; for `%s` use sysgate itself (sysgate %s ...)\n", me, argv[1], argv[1]);
    else
      fprintf(stderr, "%s: unknown command '%s' (usage: %s run [run options] PROGRAM [ARGS...])\n", me, argv[1], me);
    return STATUS_USAGE;
  }

  /* Which of fds 0-2 are open: checked before the socket is made, which would take a closed one. */
  uint32_t flags = 0;
  for (int fd = 0; fd < 3; fd++)
    if (fcntl(fd, F_GETFD) >= 0) flags |= 1u << fd;

  char space[sizeof(((struct sockaddr_un *)0)->sun_path) + 64];
  const char *path = socket_path(space, sizeof space);
  struct sockaddr_un addr = {.sun_family = AF_UNIX};
  if (strlen(path) >= sizeof addr.sun_path) {
    fprintf(stderr, "%s: socket path too long: %s\n", me, path);
    return STATUS_USAGE;
  }
  strcpy(addr.sun_path, path);
  int sock = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (sock < 0) { perror(me); return STATUS_INTERNAL; }
  while (connect(sock, (struct sockaddr *)&addr, sizeof addr) < 0) {
    if (errno == EINTR) continue;
    if (errno == ENOENT || errno == ECONNREFUSED)
      fprintf(stderr, "%s: no sysgate server at %s (%s)\n", me, path, SERVE_HINT);
    else
      fprintf(stderr, "%s: cannot connect to %s: %s\n", me, path, strerror(errno));
    return STATUS_INTERNAL;
  }

  /* The request. */
  char *cwd = getcwd(NULL, 0);
  if (!cwd) { fprintf(stderr, "%s: cannot read the current directory: %s\n", me, strerror(errno)); return STATUS_INTERNAL; }
  mode_t mask = umask(0);
  umask(mask);
  struct winsize ws = {0};
  int tty = -1;
  for (int fd = 0; fd < 3 && tty < 0; fd++)
    if ((flags & (1u << fd)) && ioctl(fd, TIOCGWINSZ, &ws) == 0) tty = fd;
  if (tty < 0) ws.ws_row = ws.ws_col = 0;
  uint32_t envc = 0;
  while (environ[envc]) envc++;
  struct buf body = {0};
  put_u32(&body, flags);
  put_u32(&body, (uint32_t)getpid());
  put_u32(&body, (uint32_t)getppid());
  put_u32(&body, (uint32_t)mask);
  put_u16(&body, ws.ws_row);
  put_u16(&body, ws.ws_col);
  put_u32(&body, (uint32_t)(argc - 1));
  put_u32(&body, envc);
  put_str(&body, cwd);
  for (int i = 1; i < argc; i++) put_str(&body, argv[i]);
  for (uint32_t i = 0; i < envc; i++) put_str(&body, environ[i]);
  if (body.n > UINT32_MAX) { fprintf(stderr, "%s: argument list too long\n", me); return STATUS_INTERNAL; }
  struct buf req = {0};
  put(&req, "SGR1", 4);
  put_u32(&req, (uint32_t)body.n);
  put(&req, body.p, body.n);

  /* The first piece carries the fds (SCM_RIGHTS); the rest follows as plain bytes. */
  int fds[3], nfds = 0;
  for (int fd = 0; fd < 3; fd++)
    if (flags & (1u << fd)) fds[nfds++] = fd;
  union { char buf[CMSG_SPACE(sizeof fds)]; struct cmsghdr align; } control;
  memset(&control, 0, sizeof control);
  size_t first = req.n < 65536 ? req.n : 65536;
  struct iovec iov = {.iov_base = req.p, .iov_len = first};
  struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1};
  if (nfds > 0) {
    msg.msg_control = control.buf;
    msg.msg_controllen = CMSG_SPACE(nfds * sizeof(int));
    struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(nfds * sizeof(int));
    memcpy(CMSG_DATA(c), fds, nfds * sizeof(int));
  }

  /* Signals to pass on arrive through a pipe, so the loop below sees them with the socket. */
  if (pipe2(sigpipe_fds, O_CLOEXEC | O_NONBLOCK) < 0) { perror(me); return STATUS_INTERNAL; }
  struct sigaction sa = {.sa_handler = on_signal};
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_RESTART;
  int forwarded[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT};
  for (size_t i = 0; i < sizeof forwarded / sizeof *forwarded; i++) sigaction(forwarded[i], &sa, NULL);

  ssize_t sent;
  while ((sent = sendmsg(sock, &msg, MSG_NOSIGNAL)) < 0 && errno == EINTR) {}
  if (sent < 0 || send_all(sock, req.p + sent, req.n - (size_t)sent) < 0) server_gone();
  free(req.p);
  free(body.p);

  /* Wait for the end, passing signals on meanwhile. */
  for (;;) {
    struct pollfd p[2] = {{.fd = sock, .events = POLLIN}, {.fd = sigpipe_fds[0], .events = POLLIN}};
    if (poll(p, 2, -1) < 0) {
      if (errno == EINTR) continue;
      perror(me);
      return STATUS_INTERNAL;
    }
    if (p[1].revents & POLLIN) {
      unsigned char sig;
      while (read(sigpipe_fds[0], &sig, 1) == 1) {
        char frame[5] = {'S'};
        uint32_t s = sig;
        memcpy(frame + 1, &s, 4);
        if (send_all(sock, frame, sizeof frame) < 0) server_gone();
      }
    }
    if (p[0].revents & (POLLIN | POLLHUP | POLLERR)) {
      char type;
      uint32_t v;
      if (read_all(sock, &type, 1) < 0 || read_all(sock, &v, 4) < 0) server_gone();
      if (type == 'X') return (int)(v & 0xff);
      if (type == 'M') {
        char chunk[4096];
        while (v > 0) {
          size_t n = v < sizeof chunk ? v : sizeof chunk;
          if (read_all(sock, chunk, n) < 0) server_gone();
          if (write(2, chunk, n) < 0) { /* nowhere to say it */ }
          v -= (uint32_t)n;
        }
        continue;
      }
      fprintf(stderr, "%s: the server answered something this client does not know ('%c')\n", me, type);
      return STATUS_INTERNAL;
    }
  }
}
