// f_type magics (include/uapi/linux/magic.h): what statfs reports, and how /proc/mounts names a file system.

export const PROC_SUPER_MAGIC = 0x9fa0n;
export const TMPFS_MAGIC = 0x01021994n;
export const EXT4_SUPER_MAGIC = 0xef53n;
export const XFS_SUPER_MAGIC = 0x58465342n;
export const BTRFS_SUPER_MAGIC = 0x9123683en;
export const OVERLAYFS_SUPER_MAGIC = 0x794c7630n;
export const V9FS_MAGIC = 0x01021997n;
export const NFS_SUPER_MAGIC = 0x6969n;
export const FUSE_SUPER_MAGIC = 0x65735546n;
