// prctl(PR_SET_NAME / PR_GET_NAME) as kernel/sys.c does them: task->comm is 16 bytes with the NUL,
// a longer name is cut to 15, unknown options are EINVAL. busybox reads its name this way at startup.
import { describe, expect, it } from 'vitest';
import { E, Errno } from '../../kernel-model/errno.js';
import { sysFamily } from '../../kernel-model/syscalls/kernel/sys.js';
import { PR_GET_NAME, PR_SET_NAME } from '../../kernel-model/uapi/linux/prctl.js';
import type { SyscallArgs, SyscallContext } from '../../kernel-model/syscalls/types.js';
import { FakeMemory } from '../fs/helpers.js';

function setup(comm: string) {
  const mem = new FakeMemory();
  const task = { comm } as SyscallContext['task'];
  const ctx = { abi: 'x86_64', task, mem } as unknown as SyscallContext;
  const prctl = (...args: bigint[]): number => {
    const regs = [0, 1, 2, 3, 4, 5].map((i) => args[i] ?? 0n) as unknown as SyscallArgs;
    try {
      return Number(sysFamily.sys_prctl(ctx, regs));
    } catch (e) {
      if (e instanceof Errno) return -e.errno;
      throw e;
    }
  };
  return { mem, task, prctl };
}

describe('sys_prctl', () => {
  it('PR_GET_NAME copies all 16 bytes of comm, NUL-padded', () => {
    const { mem, prctl } = setup('busybox');
    const buf = mem.alloc(16);
    mem.write(buf, Buffer.alloc(16, 0xff));
    expect(prctl(BigInt(PR_GET_NAME), buf)).toBe(0);
    expect(mem.read(buf, 16)).toEqual(Buffer.concat([Buffer.from('busybox'), Buffer.alloc(9)]));
  });

  it('PR_SET_NAME keeps 15 bytes of a longer name', () => {
    const { mem, task, prctl } = setup('x');
    expect(prctl(BigInt(PR_SET_NAME), mem.str('a-very-long-thread-name'))).toBe(0);
    expect(task.comm).toBe('a-very-long-thr');
    const buf = mem.alloc(16);
    expect(prctl(BigInt(PR_GET_NAME), buf)).toBe(0);
    expect(mem.read(buf, 16).toString('latin1')).toBe('a-very-long-thr\0');
  });

  it('a bad pointer is EFAULT, an unknown option EINVAL', () => {
    const { prctl } = setup('x');
    expect(prctl(BigInt(PR_GET_NAME), 8n)).toBe(-E.EFAULT);
    expect(prctl(BigInt(PR_SET_NAME), 8n)).toBe(-E.EFAULT);
    expect(prctl(0x7fffn)).toBe(-E.EINVAL);
  });
});
