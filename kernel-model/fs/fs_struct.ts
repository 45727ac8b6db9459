// struct fs_struct (include/linux/fs_struct.h): a process's root and working directory, kept
// as canonical guest paths (the umask lives on Task, as current->fs->umask would).

export class FsStruct {
  constructor(
    /** The working directory (fs->pwd). */
    public pwd: string,
    /** The root directory (fs->root), "/" unless chroot moved it. */
    public root = "/",
  ) {}

  /** copy_fs_struct: fork without CLONE_FS. */
  copy(): FsStruct {
    return new FsStruct(this.pwd, this.root);
  }
}
