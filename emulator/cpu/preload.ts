// Loading libunicorn (a 20 MB library whose 82,000 relocations are all bound at load time) costs
// 10-30 ms. preloadUnicorn() starts that dlopen on a thread of libuv's pool, so that it overlaps
// whatever the main thread does next; the engine's own koffi.load() of the same file then finds
// it loaded (the dynamic loader counts the references and serializes the two). A failure here
// changes nothing: the real load reports it.

import { hostLibc, RTLD_NOW } from "./libc.js";
import { unicornCandidates } from "./unicorn_library.js";

export function preloadUnicorn(): void {
  try {
    hostLibc()?.dlopen.async(unicornCandidates()[0]!.path, RTLD_NOW, () => { /* the engine loads it again, for real */ });
  } catch {
    // no libc to call: the engine loads the library itself, as before
  }
}
