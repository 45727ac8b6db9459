// /proc/mounts and /proc/<pid>/mounts (fs/proc_namespace.c, show_vfsmnt): one line per mount,
// `device mountpoint type options 0 0`, outermost first as they were mounted.

import {
  BTRFS_SUPER_MAGIC, EXT4_SUPER_MAGIC, FUSE_SUPER_MAGIC, NFS_SUPER_MAGIC, OVERLAYFS_SUPER_MAGIC, PROC_SUPER_MAGIC,
  TMPFS_MAGIC, V9FS_MAGIC, XFS_SUPER_MAGIC,
} from "../statfs_magic.js";

export interface MountLine { device: string; dir: string; type: string; options: string }

/** f_type magics (include/uapi/linux/magic.h) to the names /proc/mounts prints. */
const FS_NAMES = new Map<bigint, string>([
  [EXT4_SUPER_MAGIC, "ext4"], [TMPFS_MAGIC, "tmpfs"], [PROC_SUPER_MAGIC, "proc"], [XFS_SUPER_MAGIC, "xfs"],
  [BTRFS_SUPER_MAGIC, "btrfs"], [OVERLAYFS_SUPER_MAGIC, "overlay"], [V9FS_MAGIC, "9p"], [NFS_SUPER_MAGIC, "nfs"],
  [FUSE_SUPER_MAGIC, "fuse"],
]);
export const fsName = (magic: bigint): string => FS_NAMES.get(magic) ?? "ext4";

/** mangle(): space, tab, newline and backslash as octal escapes. */
const mangle = (s: string): string => s.replace(/[ \t\n\\]/g, (c) => `\\${c.charCodeAt(0).toString(8).padStart(3, "0")}`);

export function showMounts(lines: readonly MountLine[]): string {
  return lines.map((m) => `${mangle(m.device)} ${mangle(m.dir)} ${m.type} ${m.options} 0 0\n`).join("");
}
