// The slots sysgate answers with an error on purpose, each with the reason a user reads in
// `sysgate table` and in the once-per-call warning. Grouped by what is missing, as a note in
// gVisor's tables would say it. A routine implemented later moves out of here (the syscall
// index refuses a name registered twice).

import { E } from "../errno.js";
import { unsupported } from "./support.js";
import type { SyscallFamily } from "./types.js";

function declare(errno: number, note: string, names: string): Record<string, ReturnType<typeof unsupported>> {
  const answer = unsupported(errno, note);
  return Object.fromEntries(names.split(/\s+/).filter(Boolean).map((n) => [`sys_${n}`, answer]));
}

export const unsupportedSyscalls: SyscallFamily = {
  ...declare(E.ENOSYS, "no network stack: sockets are not modelled", `
    accept accept4 bind connect getpeername getsockname getsockopt listen recvfrom recvmmsg
    recvmmsg_time32 recvmsg sendmmsg sendmsg sendto setsockopt shutdown socket socketcall
    socketpair`),
  ...declare(E.ENOSYS, "System V IPC and POSIX message queues are not modelled", `
    ipc msgctl msgget msgrcv msgsnd semctl semget semop semtimedop shmat shmctl shmdt shmget
    mq_getsetattr mq_notify mq_open mq_timedreceive mq_timedreceive_time32 mq_timedsend
    mq_timedsend_time32 mq_unlink`),
  ...declare(E.ENOSYS, "extended attributes are not modelled", `
    fgetxattr flistxattr fremovexattr fsetxattr getxattr lgetxattr listxattr llistxattr
    lremovexattr lsetxattr removexattr setxattr`),
  ...declare(E.ENOSYS, "asynchronous I/O (io_setup, io_uring) is not modelled", `
    io_cancel io_destroy io_getevents io_getevents_time32 io_pgetevents io_pgetevents_time32
    io_setup io_submit io_uring_enter io_uring_register io_uring_setup`),
  ...declare(E.ENOSYS, "file-change notification (inotify, fanotify) is not modelled", `
    inotify_add_watch inotify_init inotify_init1 inotify_rm_watch fanotify_init fanotify_mark`),
  ...declare(E.ENOSYS, "mounts are fixed for the run (the view is set on the command line)", `
    mount umount oldumount pivot_root fsconfig fsmount fsopen fspick move_mount mount_setattr
    open_tree statmount listmount chroot`),
  ...declare(E.ENOSYS, "namespaces, capabilities and security modules are not modelled", `
    unshare setns capget capset seccomp landlock_add_rule landlock_create_ruleset
    landlock_restrict_self lsm_get_self_attr lsm_list_modules lsm_set_self_attr`),
  ...declare(E.ENOSYS, "tracing and debugging other processes is not modelled (use sysgate's hooks or gdb stub)", `
    ptrace process_vm_readv process_vm_writev kcmp perf_event_open bpf uretprobe`),
  ...declare(E.ENOSYS, "pidfds are not modelled", `
    pidfd_getfd pidfd_open pidfd_send_signal`),
  ...declare(E.ENOSYS, "kernel keyrings are not modelled", `
    add_key keyctl request_key`),
  ...declare(E.ENOSYS, "a guest cannot administer the machine (modules, kexec, reboot, swap, quotas, clock setting, host name, accounting)", `
    init_module finit_module delete_module kexec_load kexec_file_load reboot swapon swapoff
    quotactl quotactl_fd acct adjtimex adjtimex_time32 clock_adjtime clock_adjtime32
    clock_settime clock_settime32 settimeofday stime32 sethostname setdomainname syslog vhangup
    lookup_dcookie sysfs ustat`),
  ...declare(E.ENOSYS, "NUMA policy and page migration are not modelled (one node)", `
    get_mempolicy set_mempolicy set_mempolicy_home_node mbind migrate_pages move_pages`),
  ...declare(E.ENOSYS, "memory locking, protection keys and special mappings are not modelled", `
    mlock2 mlockall munlockall pkey_alloc pkey_free pkey_mprotect memfd_secret map_shadow_stack
    mseal mincore remap_file_pages userfaultfd process_madvise process_mrelease cachestat
    membarrier`),
  ...declare(E.ENOSYS, "I/O port access and vm86 mode are not modelled", `
    ioperm iopl vm86 vm86old modify_ldt`),
  ...declare(E.ENOSYS, "pipe splicing is not modelled (read and write instead)", `
    splice tee vmsplice`),
  ...declare(E.ENOSYS, "file handles and openat2 are not modelled", `
    name_to_handle_at open_by_handle_at openat2`),
  ...declare(E.ENOSYS, "memfd_create is not modelled", `
    memfd_create`),
  ...declare(E.ENOSYS, "I/O priorities and extended scheduling attributes are not modelled", `
    ioprio_get ioprio_set sched_getattr sched_setattr sched_setparam sched_setscheduler
    sched_rr_get_interval sched_rr_get_interval_time32`),
  ...declare(E.ENOSYS, "the futex2 calls are not modelled (libcs use futex)", `
    futex_requeue futex_wait futex_waitv futex_wake`),
  ...declare(E.ENOSYS, "queued signals with data are not modelled", `
    rt_sigqueueinfo rt_tgsigqueueinfo`),
  ...declare(E.ENOSYS, "copy offload and the v2 vector I/O calls are not modelled", `
    copy_file_range preadv2 pwritev2 sync_file_range ia32_sync_file_range`),
  ...declare(E.ENOSYS, "an old i386 interface that libcs replaced (old stat and uname structs, readdir, the old getrlimit, nice, uselib, 16-bit id lists)", `
    stat lstat fstat uname olduname old_readdir old_getrlimit nice uselib getgroups16
    getresgid16 getresuid16`),
  ...declare(E.ENOSYS, "restart_syscall is never needed: sleeps are restarted by re-executing the instruction", `
    restart_syscall`),
  ...declare(E.ENOSYS, "not implemented by Linux either (sys_ni_syscall)", `
    ni_syscall`),
  ...declare(E.ENOSYS, "not modelled yet", `
    waitpid`),
};
