// The initial process stack, laid out as Linux's execve leaves it (fs/exec.c copy_strings and
// fs/binfmt_elf.c create_elf_tables), from the top down:
//   8 zero bytes | execfn | envp strings | argv strings | (align 16) | platform | 16 random bytes |
//   (align 16) | auxv pairs ... AT_NULL | NULL | envp[] | NULL | argv[] | argc   <- sp (16-aligned)

import type { MmStruct } from "../../kernel-model/mm/mm_struct.js";
import { AT } from "../../kernel-model/uapi/linux/auxvec.js";

export const AT_NAMES: Record<number, string> = Object.fromEntries(Object.entries(AT).map(([k, v]) => [v, k]));

export interface ElfTablesInput {
  bits: 64 | 32;
  stackTop: bigint;
  argv: readonly Buffer[];
  envp: readonly Buffer[];
  execfn: Buffer;
  platform: string;
  random: Buffer;
  /** The auxv entries in order, without AT_EXECFN, AT_PLATFORM, AT_RANDOM and AT_NULL (placed here). */
  auxv: readonly (readonly [number, bigint])[];
}

export interface ElfTables {
  sp: bigint;
  argvStart: bigint;
  envEnd: bigint;
  auxv: [number, bigint][];
}

/** What the auxiliary vector tells a new program about itself and the machine it runs on. */
export interface AuxvInput {
  bits: 64 | 32;
  /** The vDSO's base and (i386) __kernel_vsyscall, when the vDSO is mapped. */
  vdso?: { base: bigint; vsyscall?: bigint };
  /** The program headers as mapped, their entry size and count, and the entry point. */
  phdr: bigint;
  phent: number;
  phnum: number;
  entry: bigint;
  cred: { uid: number; euid: number; gid: number; egid: number };
  pageSize: number;
}

/**
 * The auxv entries create_elf_tables writes before its own (AT_RANDOM, AT_EXECFN, AT_PLATFORM,
 * AT_NULL): ARCH_DLINFO first (arch/x86/include/asm/elf.h: AT_SYSINFO for i386, the vDSO's
 * base, the minimal signal stack size), then the generic ones in fs/binfmt_elf.c's order.
 */
export function elfAuxv(a: AuxvInput): [number, bigint][] {
  const is64 = a.bits === 64;
  const archDlinfo: [number, bigint][] = [];
  if (a.vdso?.vsyscall !== undefined && !is64) archDlinfo.push([AT.AT_SYSINFO, a.vdso.vsyscall]);
  if (a.vdso) archDlinfo.push([AT.AT_SYSINFO_EHDR, a.vdso.base]);
  archDlinfo.push([AT.AT_MINSIGSTKSZ, is64 ? 2048n : 1024n]);
  return [
    ...archDlinfo,
    [AT.AT_HWCAP, 0x178bfbffn],
    [AT.AT_PAGESZ, BigInt(a.pageSize)],
    [AT.AT_CLKTCK, 100n],
    [AT.AT_PHDR, a.phdr],
    [AT.AT_PHENT, BigInt(a.phent)],
    [AT.AT_PHNUM, BigInt(a.phnum)],
    [AT.AT_BASE, 0n],
    [AT.AT_FLAGS, 0n],
    [AT.AT_ENTRY, a.entry],
    [AT.AT_UID, BigInt(a.cred.uid)],
    [AT.AT_EUID, BigInt(a.cred.euid)],
    [AT.AT_GID, BigInt(a.cred.gid)],
    [AT.AT_EGID, BigInt(a.cred.egid)],
    [AT.AT_SECURE, 0n],
    [AT.AT_HWCAP2, 0n],
  ];
}

export function createElfTables(mm: MmStruct, t: ElfTablesInput): ElfTables {
  const w = t.bits === 64 ? 8 : 4;
  let p = t.stackTop - BigInt(w); // bprm->p starts one pointer below the top
  const pushString = (s: Buffer): bigint => {
    p -= BigInt(s.length + 1);
    mm.poke(p, Buffer.concat([s, Buffer.alloc(1)]));
    return p;
  };
  const execfn = pushString(t.execfn);
  // copy_strings copies the last string first, so argv[0] ends up lowest
  const envPtrs = [...t.envp].reverse().map(pushString).reverse();
  const envEnd = execfn;
  const argPtrs = [...t.argv].reverse().map(pushString).reverse();
  const argvStart = argPtrs[0] ?? p;

  p &= ~15n; // arch_align_stack without randomization
  const platform = pushString(Buffer.from(t.platform, "latin1"));
  p -= 16n;
  const random = p;
  mm.poke(random, t.random.subarray(0, 16));

  const auxv: [number, bigint][] = t.auxv.map(([k, v]) => [k, v]);
  // after the arch and generic entries: AT_EXECFN then AT_PLATFORM, AT_RANDOM sits with AT_SECURE
  const iSecure = auxv.findIndex(([k]) => k === AT.AT_SECURE);
  auxv.splice(iSecure + 1, 0, [AT.AT_RANDOM, random]);
  auxv.push([AT.AT_EXECFN, execfn], [AT.AT_PLATFORM, platform], [AT.AT_NULL, 0n]);

  const items = 1 + argPtrs.length + 1 + envPtrs.length + 1 + auxv.length * 2;
  const sp = (p - BigInt(items * w)) & ~15n; // STACK_ROUND
  const words: bigint[] = [BigInt(argPtrs.length), ...argPtrs, 0n, ...envPtrs, 0n, ...auxv.flatMap(([k, v]) => [BigInt(k), v])];
  const buf = Buffer.alloc(words.length * w);
  words.forEach((v, i) => (w === 8 ? buf.writeBigUInt64LE(v, i * 8) : buf.writeUInt32LE(Number(v), i * 4)));
  mm.poke(sp, buf);
  return { sp, argvStart, envEnd, auxv };
}
