// The cow_fault event names the task whose address space took the fault. fork's
// CLONE_CHILD_SETTID writes the child's tid into the child's copy of the page (Linux does it in
// the child, from schedule_tail): that CoW fault is the child's, though the parent is running.

import { existsSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { Machine } from "../../emulator/machine.js";
import type { HookEvents } from "../../kernel-model/hooks.js";
import { ROOT } from "../run/cli.js";
import { machine } from "./helpers.js";

const BB = { 64: join(ROOT, ".cache/corpus/amd64/busybox"), 32: join(ROOT, ".cache/corpus/i386/busybox") } as const;
let m: Machine | undefined;
afterEach(() => m?.close());

describe("cow_fault is tagged with the faulting address space's task", () => {
  for (const bits of [64, 32] as const) {
    it.skipIf(!existsSync(BB[bits]))(`fork's child tid write is the child's CoW fault (busybox ${bits}-bit sh -c '(echo b)')`, async () => {
      m = await machine(BB[bits], { argv: ["busybox", "sh", "-c", "(echo b); echo c"] });
      let tidptr: bigint | undefined;
      const forks: { parent: number; child: number; cows: HookEvents["cow_fault"][] }[] = [];
      let cows: HookEvents["cow_fault"][] = [];
      m.hooks.on("syscall_entry", (e) => {
        // x86-64 clone(flags, stack, parent_tid, child_tid, tls); i386: (flags, stack, parent_tid, tls, child_tid)
        if (e.name === "clone" && tidptr === undefined) { tidptr = e.args[bits === 64 ? 3 : 4]; cows = []; }
      });
      m.hooks.on("cow_fault", (e) => cows.push(e));
      m.hooks.on("process", (e) => {
        if (e.action === "fork" && forks.length === 0) {
          forks.push({ parent: e.pid, child: e.child!, cows: [...cows] });
          const child = m!.kstate.sched.tasks.get(e.child!)!, parent = m!.kstate.sched.tasks.get(e.pid)!;
          const page = tidptr! & ~0xfffn;
          const fault = cows.find((c) => (c.address & ~0xfffn) === page);
          expect(fault, "a CoW fault on the page of child_tidptr during clone").toBeDefined();
          // it gave the child its own frame; the parent's page table still maps the shared one
          expect(child.mm.pgd.lookup(page)!.pa).toBe(fault!.newFrame);
          expect(parent.mm.pgd.lookup(page)!.pa).toBe(fault!.oldFrame);
          expect(fault!.pid).toBe(e.child);
        }
      });
      expect(m.runToEnd()).toMatchObject({ code: 0 });
      expect(m.stdout.toString()).toBe("b\nc\n");
      expect(tidptr).toBeDefined();
      expect(forks).toHaveLength(1);
    });
  }
});
