// Target descriptions ("Target Descriptions" and "Standard Target Features" in the GDB manual):
// the XML gdb reads with qXfer:features:read:target.xml to learn the architecture, the OS ABI
// and every register's name, size, type and number. Made from the register tables of
// registers.ts, in their order, so the numbering is theirs.

import { regsFor, type Feature } from "./registers.js";

const FEATURE_NAMES: Record<Feature, string> = {
  core: "org.gnu.gdb.i386.core",
  sse: "org.gnu.gdb.i386.sse",
  linux: "org.gnu.gdb.i386.linux",
  segments: "org.gnu.gdb.i386.segments",
};

const flags = (id: string, fields: [string, number][]) =>
  `<flags id="${id}" size="4">${fields.map(([n, b]) => `<field name="${n}" start="${b}" end="${b}"/>`).join("")}</flags>`;

// EFLAGS bits (SDM vol. 1, 3.4.3) and MXCSR bits (SDM vol. 1, 10.2.3)
const EFLAGS: [string, number][] = [["CF", 0], ["", 1], ["PF", 2], ["AF", 4], ["ZF", 6], ["SF", 7], ["TF", 8], ["IF", 9],
  ["DF", 10], ["OF", 11], ["NT", 14], ["RF", 16], ["VM", 17], ["AC", 18], ["VIF", 19], ["VIP", 20], ["ID", 21]];
const MXCSR: [string, number][] = [["IE", 0], ["DE", 1], ["ZE", 2], ["OE", 3], ["UE", 4], ["PE", 5], ["DAZ", 6], ["IM", 7],
  ["DM", 8], ["ZM", 9], ["OM", 10], ["UM", 11], ["PM", 12], ["FZ", 15]];

const VEC128 = [
  `<vector id="v4f" type="ieee_single" count="4"/>`, `<vector id="v2d" type="ieee_double" count="2"/>`,
  `<vector id="v16i8" type="int8" count="16"/>`, `<vector id="v8i16" type="int16" count="8"/>`,
  `<vector id="v4i32" type="int32" count="4"/>`, `<vector id="v2i64" type="int64" count="2"/>`,
  `<union id="vec128"><field name="v4_float" type="v4f"/><field name="v2_double" type="v2d"/>` +
    `<field name="v16_int8" type="v16i8"/><field name="v8_int16" type="v8i16"/><field name="v4_int32" type="v4i32"/>` +
    `<field name="v2_int64" type="v2i64"/><field name="uint128" type="uint128"/></union>`,
].join("");

/** target.xml for a 64-bit (amd64) or 32-bit (i386) Linux process. */
export function targetXml(bits: 64 | 32): string {
  const regs = regsFor(bits);
  const features = (Object.keys(FEATURE_NAMES) as Feature[]).filter((f) => regs.some((r) => r.feature === f)).map((f) => {
    const types = f === "core" ? flags("i386_eflags", EFLAGS) : f === "sse" ? VEC128 + flags("i386_mxcsr", MXCSR) : "";
    const body = regs.filter((r) => r.feature === f).map((r) =>
      `<reg name="${r.name}" bitsize="${r.bitsize}" type="${r.type}" regnum="${regs.indexOf(r)}"${r.group ? ` group="${r.group}"` : ""}/>`).join("");
    return `<feature name="${FEATURE_NAMES[f]}">${types}${body}</feature>`;
  });
  return `<?xml version="1.0"?><!DOCTYPE target SYSTEM "gdb-target.dtd"><target version="1.0">` +
    `<architecture>${bits === 64 ? "i386:x86-64" : "i386"}</architecture><osabi>GNU/Linux</osabi>${features.join("")}</target>`;
}
