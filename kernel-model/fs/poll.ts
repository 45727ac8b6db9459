// The poll methods' common answer (include/linux/poll.h); the event bits themselves are
// uapi/asm-generic/poll.ts, shared by poll/select, epoll and every file that has a poll method.

import { POLLIN, POLLOUT, POLLRDNORM, POLLWRNORM } from "../uapi/asm-generic/poll.js";

/** What a file without a poll method reports. */
export const DEFAULT_POLLMASK = POLLIN | POLLOUT | POLLRDNORM | POLLWRNORM;
