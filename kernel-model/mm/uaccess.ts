// include/linux/uaccess.h: how the kernel reaches user memory. A service routine, a file's
// ioctl and the tracer copy in and out through this (copy_from_user / copy_to_user), never by
// touching guest RAM; MmStruct is what implements it, over the task's own page tables.

/**
 * Guest memory as seen from the kernel. Addresses are user virtual addresses; every access
 * is checked against the task's mappings like access_ok() + the page walk, and throws
 * Errno(EFAULT) where nothing is mapped. Pages that are mapped but not yet populated are
 * populated on the way (demand paging).
 */
export interface UserMemory {
  read(addr: bigint, len: number): Buffer;
  write(addr: bigint, data: Uint8Array): void;
  /** A NUL-terminated string, without the NUL; at most `max` bytes (ENAMETOOLONG past it). */
  readCString(addr: bigint, max?: number): Buffer;
}
