// Shared by the step UI tests: sample paths, and frames without colour codes.

import { join } from "node:path";
import { fileURLToPath } from "node:url";

export const ROOT = join(fileURLToPath(import.meta.url), "..", "..", "..");
export const sample = (p: string) => join(ROOT, "samples", "bin", p);
// eslint-disable-next-line no-control-regex
export const plain = (s: string | undefined) => (s ?? "").replace(/\x1b\[[0-9;?]*[A-Za-z]/g, "");
