// include/uapi/linux/eventpoll.h: epoll_ctl's operations and the input-only event bits (the
// others are the POLL* bits of asm-generic/poll.ts).
export const EPOLL_CTL_ADD = 1, EPOLL_CTL_DEL = 2, EPOLL_CTL_MOD = 3;
export const EPOLLEXCLUSIVE = 1 << 28, EPOLLWAKEUP = 1 << 29, EPOLLONESHOT = 1 << 30, EPOLLET = 1 << 31;
