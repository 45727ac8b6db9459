// All file service routines, keyed by the entry-point names of syscall_64.tbl and
// syscall_32.tbl (first column, and the compat column where it names its own routine).

import type { SyscallFamily } from "../types.js";
import { adviseSyscalls } from "./advise.js";
import { attrSyscalls } from "./attr.js";
import { dPathSyscalls } from "./d_path.js";
import { eventfdSyscalls } from "./eventfd.js";
import { eventpollSyscalls } from "./eventpoll.js";
import { fcntlCompat, fcntlSyscalls } from "./fcntl.js";
import { fileSyscalls } from "./file.js";
import { ioctlCompat, ioctlSyscalls } from "./ioctl.js";
import { linkSyscalls } from "./link.js";
import { nameiSyscalls } from "./namei.js";
import { openCompat, openSyscalls } from "./open.js";
import { readWriteCompat, readWriteSyscalls } from "./read_write.js";
import { readdirCompat, readdirSyscalls } from "./readdir.js";
import { selectSyscalls } from "./select.js";
import { statCompat, statSyscalls } from "./stat.js";
import { statfsSyscalls } from "./statfs.js";
import { syncSyscalls } from "./sync.js";
import { umaskSyscalls } from "./umask.js";
import { utimesSyscalls } from "./utimes.js";

export const fsSyscalls: SyscallFamily = {
  ...readWriteSyscalls, ...readWriteCompat,
  ...openSyscalls, ...openCompat,
  ...statSyscalls, ...statCompat,
  ...readdirSyscalls, ...readdirCompat,
  ...nameiSyscalls,
  ...fcntlSyscalls, ...fcntlCompat,
  ...fileSyscalls,
  ...ioctlSyscalls, ...ioctlCompat,
  ...dPathSyscalls,
  ...syncSyscalls,
  ...umaskSyscalls,
  ...utimesSyscalls,
  ...selectSyscalls,
  ...linkSyscalls,
  ...attrSyscalls,
  ...statfsSyscalls,
  ...adviseSyscalls,
  ...eventpollSyscalls,
  ...eventfdSyscalls,
};
