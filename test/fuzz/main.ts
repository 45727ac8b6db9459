// `npm run fuzz [-- options]`: malformed ELF files and raw syscalls with hostile arguments against
// sysgate, each case in a child process bounded in time and memory. Prints the counts per outcome;
// host crashes and hangs are saved under .cache/fuzz with the command that reproduces each.
//
// Options: --seed N (default 1), --elfs N (1000), --programs N (per ABI, 300), --calls N (per
// program, 40), --jobs N (2), --batch N (25), --timeout-ms N (30000), --max-rss-mb N (1500).
// Run it niced on a shared machine: nice -n 10 npm run fuzz

import { formatResult, runCampaign, type CampaignOptions } from "./campaign.js";

function option(name: string, fallback: number): number {
  const i = process.argv.indexOf(name);
  if (i < 0) return fallback;
  const v = Number(process.argv[i + 1]);
  if (!Number.isInteger(v) || v < 0) {
    process.stderr.write(`fuzz: ${name} takes a whole number\n`);
    process.exit(2);
  }
  return v;
}

const o: CampaignOptions = {
  seed: option("--seed", 1),
  elfs: option("--elfs", 1000),
  programs: option("--programs", 300),
  calls: option("--calls", 40),
  jobs: option("--jobs", 2),
  batch: option("--batch", 25),
  caseTimeoutMs: option("--timeout-ms", 30_000),
  maxRssMb: option("--max-rss-mb", 1500),
  log: (l) => process.stderr.write(`fuzz: ${l}\n`),
};
const started = Date.now();
const r = await runCampaign(o);
process.stdout.write(formatResult(r, o));
process.stdout.write(`${((Date.now() - started) / 1000).toFixed(0)} s\n`);
process.exitCode = r.findings.length ? 1 : 0;
