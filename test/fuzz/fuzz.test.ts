// A fixed-seed slice of `npm run fuzz`: malformed ELF files of both ABIs and raw syscalls with
// hostile arguments, each in a child process bounded in time and memory. Any host crash or hang
// fails the test, with the command that reproduces it.

import { expect, it } from "vitest";
import { ensureDist } from "../run/cli.js";
import { formatResult, runCampaign, type CampaignOptions } from "./campaign.js";

it("a fixed-seed slice: no host crash and no hang", async () => {
  ensureDist();
  const o: CampaignOptions = {
    seed: 20261130, elfs: 120, programs: 6, calls: 40, jobs: 2, batch: 30,
    caseTimeoutMs: 30_000, maxRssMb: 1500,
  };
  const r = await runCampaign(o);
  const report = formatResult(r, o);
  expect(r.findings, report).toEqual([]);
  // the slice tried what it says it did
  expect(Object.values(r.elf).reduce((a, b) => a + b, 0)).toBe(o.elfs);
  expect(r.syscalls.x86_64.tried + r.syscalls.i386.tried).toBeGreaterThan(300);
}, 600_000);
