// The page cache (mm/filemap.c) for file pages mapped privately: a file's page is read into a
// frame once, keyed by the file's identity and the page's offset, and every address space that
// maps it shares that frame until it writes (then do_wp_page gives the writer a copy). Every
// process running busybox uses the same text frames, and the CPU's translations of them.

import { PAGE_SIZE, type PhysMem } from "./phys.js";

export class PageCache {
  private readonly pages = new Map<string, number>();

  constructor(private readonly phys: PhysMem) {}

  /**
   * find_get_page / filemap_fault: the frame with page `index` of the file `fileId`, filled by
   * `fill` when it is not cached yet. The caller gets one reference (the cache keeps its own).
   */
  get(fileId: string, index: number, fill: (page: Buffer) => void): number {
    const key = `${fileId}:${index}`;
    let pa = this.pages.get(key);
    if (pa === undefined) {
      pa = this.phys.allocFrame();
      fill(this.phys.mem.subarray(pa, pa + PAGE_SIZE));
      this.pages.set(key, pa);
    }
    this.phys.getPage(pa);
    return pa;
  }

  /** shrink_page_list, simplified: drops the pages no address space maps. Returns how many went. */
  shrink(): number {
    let n = 0;
    for (const [key, pa] of this.pages) {
      if (this.phys.pageCount(pa) !== 1) continue;
      this.pages.delete(key);
      this.phys.putPage(pa);
      n++;
    }
    return n;
  }

  get cachedPages(): number {
    return this.pages.size;
  }
}
