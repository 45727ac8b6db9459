// include/linux/uaccess.h: how the kernel reaches user memory. A service routine, a file's
// ioctl and the tracer copy in and out through this (copy_from_user / copy_to_user), never by
// touching guest RAM; MmStruct is what implements it, over the task's own page tables.

import type { UserCopy } from "../uapi/abi.js";

/**
 * Guest memory as seen from the kernel: read and write (copy_from_user / copy_to_user, the shape
 * uapi/abi.ts's layouts use) and strncpy_from_user. Addresses are user virtual addresses; every
 * access is checked against the task's mappings like access_ok() + the page walk, and throws
 * Errno(EFAULT) where nothing is mapped. Pages that are mapped but not yet populated are
 * populated on the way (demand paging).
 */
export interface UserMemory extends UserCopy {
  /** A NUL-terminated string, without the NUL; at most `max` bytes (ENAMETOOLONG past it). */
  readCString(addr: bigint, max?: number): Buffer;
}
