// setup.sh on a fresh machine where another apt holds the dpkg lock, and where an optional package
// cannot be installed: it waits for the lock (apt's DPkg::Lock::Timeout) and goes on without the
// package, instead of aborting with apt's status 100. apt-get, dpkg, npm and id are stand-ins.

import { spawnSync } from "node:child_process";
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { ROOT } from "./cli.js";

let bin: string;
beforeAll(() => {
  bin = mkdtempSync(join(tmpdir(), "sysgate-setup-"));
  const script = (name: string, body: string) => {
    writeFileSync(join(bin, name), `#!/bin/bash\n${body}\n`);
    chmodSync(join(bin, name), 0o755);
  };
  script("dpkg", "exit 1"); // nothing is installed
  script("id", 'echo 0');
  script("npm", `echo "npm $*" >> ${bin}/log; exit 0`);
  // apt-get: the lock is held (status 100, as apt says "Could not get lock") unless the caller waits
  // for it; tmux cannot be installed at all (an optional package missing from this release)
  script("apt-get", `echo "apt-get $*" >> ${bin}/log
case "$*" in *DPkg::Lock::Timeout=*) ;; *) echo "E: Could not get lock /var/lib/dpkg/lock-frontend" >&2; exit 100;; esac
case "$*" in *install*tmux*) exit 100;; esac
exit 0`);
});
afterAll(() => rmSync(bin, { recursive: true, force: true }));

it("waits for the dpkg lock and treats the Debian packages as optional", () => {
  const r = spawnSync("bash", [join(ROOT, "setup.sh")], { env: { ...process.env, PATH: `${bin}:${process.env.PATH}` }, encoding: "utf8", timeout: 60_000 });
  expect(r.status, r.stderr).toBe(0);
  const log = readFileSync(join(bin, "log"), "utf8");
  expect(log).toMatch(/apt-get .*DPkg::Lock::Timeout=\d+.* install -y .*nasm/);
  expect(log).toMatch(/^npm install/m); // it went on to the npm packages
  expect(r.stderr).toMatch(/could not install tmux/);
  expect(log).toMatch(/install -y nasm\n/); // the others one by one, after the group failed
});
