// include/uapi/linux/eventpoll.h: epoll_create1's flag, epoll_ctl's operations and the event bits
// (the first ones are the POLL* bits of asm-generic/poll.ts under epoll's names).

import { O_CLOEXEC } from "../asm-generic/fcntl.js";
import {
  POLLERR, POLLHUP, POLLIN, POLLMSG, POLLNVAL, POLLOUT, POLLPRI, POLLRDBAND, POLLRDHUP, POLLRDNORM, POLLWRBAND, POLLWRNORM,
} from "../asm-generic/poll.js";

export const EPOLL_CLOEXEC = O_CLOEXEC;
export const EPOLL_CTL_ADD = 1, EPOLL_CTL_DEL = 2, EPOLL_CTL_MOD = 3;
export const EPOLLIN = POLLIN, EPOLLPRI = POLLPRI, EPOLLOUT = POLLOUT, EPOLLERR = POLLERR, EPOLLHUP = POLLHUP,
  EPOLLNVAL = POLLNVAL, EPOLLRDNORM = POLLRDNORM, EPOLLRDBAND = POLLRDBAND, EPOLLWRNORM = POLLWRNORM,
  EPOLLWRBAND = POLLWRBAND, EPOLLMSG = POLLMSG, EPOLLRDHUP = POLLRDHUP;
export const EPOLLEXCLUSIVE = 1 << 28, EPOLLWAKEUP = 1 << 29, EPOLLONESHOT = 1 << 30, EPOLLET = 1 << 31;
