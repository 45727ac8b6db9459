// /dev as the model serves it, after devtmpfs (drivers/base/devtmpfs.c): the kernel itself puts
// the nodes of its devices in /dev. Here those are the character devices of mem_devices.ts
// (drivers/char/mem.c's devlist, with random.c's two): /dev/<name> is the model's whatever the
// host has there, a root with no /dev gets one holding just them, and every other name under /dev
// comes from the mount below it. vfs.ts asks here at each lookup, open and permission check; the
// devices' file operations are in mem_devices.ts.

import { E, Errno } from "../errno.js";
import { DT_CHR, FMODE_LSEEK, FMODE_PREAD, FMODE_PWRITE, X_OK } from "./fcntl.js";
import type { DirEntry, File } from "./file.js";
import { MEM_DEVICES, MemDeviceFile, type MemDevice } from "./mem_devices.js";

/** The inode number of a /dev the model makes (a root with none). */
export const DEV_ROOT_INO = 1n;

/** The model's device node at a canonical guest path, or undefined for a path /dev's mount serves. */
export function devLookup(path: string): MemDevice | undefined {
  if (!path.startsWith("/dev/")) return undefined;
  return MEM_DEVICES.find((d) => path === `/dev/${d.name}`);
}

/** The entries of a /dev the model makes: its devices alone. */
export function devRootEntries(): DirEntry[] {
  return MEM_DEVICES.map((d) => ({ name: d.name, ino: BigInt(d.minor), type: DT_CHR }));
}

/**
 * chrdev_open → memory_open: an open file of the device; `fmode` is the access the open asked
 * for. Every one of them seeks and reads or writes at a position (the position means nothing).
 */
export function devOpen(dev: MemDevice, flags: number, fmode: number, path: string, getRandomBytes: (buf: Buffer) => void): File {
  return new MemDeviceFile(dev, flags, fmode | FMODE_LSEEK | FMODE_PREAD | FMODE_PWRITE, path, getRandomBytes);
}

/** The permission check of a device node (crw-rw-rw-): read and write, never execute. */
export function devAccess(mode: number): void {
  if (mode & X_OK) throw new Errno(E.EACCES);
}
