// include/uapi/linux/wait.h: wait4/waitid options and waitid's id types.

export const WNOHANG = 1, WUNTRACED = 2, WSTOPPED = 2, WEXITED = 4, WCONTINUED = 8, WNOWAIT = 0x01000000;
export const __WNOTHREAD = 0x20000000, __WALL = 0x40000000, __WCLONE = 0x80000000;

export const P_ALL = 0, P_PID = 1, P_PGID = 2, P_PIDFD = 3;
