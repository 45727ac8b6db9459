// The default view of the host's files (README: "What the guest sees of the host's files"): the
// host's / under a per-run scratch layer, a private /tmp, the cwd and --bind paths granted.
// Each script runs natively first (where its writes really happen) and then through sysgate:
// the guest must see what the native run saw, and afterwards the host must be as it was.

import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { BUSYBOX, HAVE_BUSYBOX } from "../hooks/helpers.js";
import { ROOT, ensureDist, sysgate } from "../run/cli.js";

let base: string;
/** A tree outside /tmp (the guest's /tmp is private) with a cwd and a sibling the run must not change. */
function makeTree(): void {
  fs.mkdirSync(path.join(base, "cwd"), { recursive: true });
  fs.mkdirSync(path.join(base, "sib/deep"), { recursive: true });
  fs.writeFileSync(path.join(base, "sib/f"), "lower f\n");
  fs.writeFileSync(path.join(base, "sib/deep/g"), "lower g\n");
  fs.symlinkSync("f", path.join(base, "sib/lnk"));
}

/** Every name, type and content under `dir`, to compare the host before and after a run. */
function snapshot(dir: string): string[] {
  const out: string[] = [];
  const walk = (p: string): void => {
    for (const name of fs.readdirSync(p).sort()) {
      const q = path.join(p, name);
      const st = fs.lstatSync(q);
      out.push(`${path.relative(dir, q)} ${st.mode.toString(8)} ${st.isFile() ? fs.readFileSync(q, "latin1") : st.isSymbolicLink() ? fs.readlinkSync(q) : ""}`);
      if (st.isDirectory()) walk(q);
    }
  };
  walk(dir);
  return out;
}

const native = (script: string) => spawnSync(BUSYBOX, ["sh", "-c", script], { cwd: path.join(base, "cwd"), encoding: "utf8" });
const emulated = (script: string, opts: string[] = []) => sysgate(["run", ...opts, BUSYBOX, "sh", "-c", script], { cwd: path.join(base, "cwd") });

beforeAll(() => ensureDist());
beforeEach(() => {
  base = fs.mkdtempSync(path.join(ROOT, ".cache", "overlay-test-"));
  makeTree();
});
afterEach(() => fs.rmSync(base, { recursive: true, force: true }));

describe.skipIf(!HAVE_BUSYBOX)("writes outside the granted paths land in a scratch layer", () => {
  // cp to ../dir, append to a lower file, rename and remove lower files, make and remove a
  // directory, rename over a lower name, a hard link to a lower file, chmod and truncate of one.
  const script = [
    "cp ../sib/f ../sib/copy && echo more >> ../sib/f && cat ../sib/f ../sib/copy",
    "mv ../sib/copy ../sib/moved && rm ../sib/deep/g && ls -a ../sib ../sib/deep",
    "mkdir ../sib/newdir && echo x > ../sib/newdir/x && cat ../sib/newdir/x && rm -r ../sib/newdir",
    "echo new > ../sib/new && mv ../sib/new ../sib/f && cat ../sib/lnk",
    "ln ../sib/moved ../sib/hard && echo via-link >> ../sib/hard && cat ../sib/moved",
    "chmod 600 ../sib/moved && stat -c %a ../sib/moved && : > ../sib/moved && wc -c < ../sib/moved",
    "rmdir ../sib/deep && ls ../sib && mkdir ../sib/deep && ls -a ../sib/deep",
  ].join(" && ");

  it("the guest sees what a native run sees, and the host is untouched afterwards", () => {
    const n = native(script);
    expect(n.status, n.stderr).toBe(0);
    fs.rmSync(base, { recursive: true, force: true });
    makeTree();
    const before = snapshot(base);
    const e = emulated(script);
    expect(e.stderr).toBe("");
    expect(e.stdout).toBe(n.stdout);
    expect(e.status).toBe(0);
    expect(snapshot(base)).toEqual(before);
  });

  it("each run starts from the host as it is (the scratch layer goes with the run)", () => {
    expect(emulated("echo changed > ../sib/f && cat ../sib/f").stdout).toBe("changed\n");
    expect(emulated("cat ../sib/f").stdout).toBe("lower f\n");
  });

  it("writes inside the cwd reach the host", () => {
    expect(emulated("echo kept > out && cat out").status).toBe(0);
    expect(fs.readFileSync(path.join(base, "cwd/out"), "utf8")).toBe("kept\n");
  });

  it("a directory with lower entries cannot be renamed (EXDEV, as overlayfs without redirect_dir); mv copies it", () => {
    const e = emulated("mv ../sib/deep ../sib/deep2 && ls ../sib ../sib/deep2");
    expect(e.stdout).toBe(native("mv ../sib/deep ../sib/deep2 && ls ../sib ../sib/deep2").stdout);
  });
});

describe.skipIf(!HAVE_BUSYBOX)("/tmp is writable, and what the guest writes there stays in the run", () => {
  it("takes temporary files, shows the host's own, and the host never sees the guest's", () => {
    const host = fs.mkdtempSync("/tmp/sysgate-overlay-host-");
    fs.writeFileSync(path.join(host, "input"), "from the host\n");
    const probe = `/tmp/sysgate-overlay-probe-${process.pid}`;
    try {
      const e = emulated(`f=$(mktemp) && echo hi > $f && cat $f ${host}/input && echo $f > ${probe} && cat ${probe} | wc -l && rm ${host}/input && ls ${host}`);
      expect(e.stderr).toBe("");
      expect(e.status).toBe(0);
      expect(e.stdout).toBe("hi\nfrom the host\n1\n");
      expect(fs.existsSync(probe)).toBe(false);
      expect(fs.readFileSync(path.join(host, "input"), "utf8")).toBe("from the host\n");
    } finally {
      fs.rmSync(host, { recursive: true, force: true });
    }
  });
});

describe.skipIf(!HAVE_BUSYBOX)("--bind HOST:GUEST[:ro]", () => {
  it("grants a host directory read-write at a guest path; :ro makes it read-only", () => {
    const sib = path.join(base, "sib");
    const rw = emulated("echo via-bind > /mnt/granted/f && cat /mnt/granted/deep/g", ["--bind", `${sib}:/mnt/granted`]);
    expect(rw.stderr).toBe("");
    expect(rw.stdout).toBe("lower g\n");
    expect(fs.readFileSync(path.join(sib, "f"), "utf8")).toBe("via-bind\n");
    const ro = emulated("echo no > /mnt/granted/f", ["--bind", `${sib}:/mnt/granted:ro`]);
    expect(ro.status).not.toBe(0);
    expect(ro.stderr).toMatch(/Read-only file system/);
    expect(fs.readFileSync(path.join(sib, "f"), "utf8")).toBe("via-bind\n");
  });

  it("a bind without a guest path lands at the same path; --bind /tmp lets the guest write the host's /tmp", () => {
    const sib = path.join(base, "sib");
    expect(emulated(`echo same > ${sib}/f`, ["--bind", sib]).status).toBe(0);
    expect(fs.readFileSync(path.join(sib, "f"), "utf8")).toBe("same\n");
    const marker = fs.mkdtempSync("/tmp/sysgate-bind-");
    try {
      expect(emulated(`echo kept > ${marker}/out`, ["--bind", "/tmp"]).status).toBe(0);
      expect(fs.readFileSync(path.join(marker, "out"), "utf8")).toBe("kept\n");
    } finally {
      fs.rmSync(marker, { recursive: true, force: true });
    }
  });

  it("a bad --bind is one line and status 2", () => {
    const r = sysgate(["run", "--bind", "/no/such/dir:/x", BUSYBOX, "true"]);
    expect(r.status).toBe(2);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
  });
});

describe.skipIf(!HAVE_BUSYBOX)("getdents returns the directory's own order", () => {
  it("busybox find lists entries as the native one does (not sorted)", () => {
    const dir = path.join(base, "cwd", "many");
    fs.mkdirSync(dir);
    for (let i = 0; i < 40; i++) fs.writeFileSync(path.join(dir, `f${i}`), "");
    fs.mkdirSync(path.join(dir, "sub"));
    for (const n of ["zz", "aa", "mm"]) fs.writeFileSync(path.join(dir, "sub", n), "");
    const n = native("find many");
    expect(n.stdout.split("\n")).not.toEqual([...n.stdout.split("\n")].sort()); // the test can tell
    expect(emulated("find many").stdout).toBe(n.stdout);
  });
});
