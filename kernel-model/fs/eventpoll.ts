// fs/eventpoll.c, the file: an epoll instance is a set of watched (file, fd) pairs (epitems)
// and a ready list. Each epitem hangs a callback on the wait queues of its file (ep_ptable_queue_proc);
// when the file wakes them, ep_poll_callback puts the epitem on the ready list and wakes the
// epoll's own sleepers. epoll_wait then asks each ready file for its mask again (ep_send_events):
// a level-triggered epitem stays on the list while it is ready, an edge-triggered one (EPOLLET)
// leaves it until its file wakes the queue again, a one-shot one (EPOLLONESHOT) is disarmed.

import { WaitQueue } from "../sched/wait.js";
import { anonInodeKstat, anonInodeName } from "./anon_inodes.js";
import { FMODE_READ, FMODE_WRITE } from "./fcntl.js";
import { FileBase, type File, type PollResult } from "./file.js";
import type { Kstat } from "./kstat.js";
import { O_RDWR } from "../uapi/asm-generic/fcntl.js";
import { POLLERR, POLLHUP, POLLIN, POLLRDNORM } from "../uapi/asm-generic/poll.js";
import { EPOLLET, EPOLLEXCLUSIVE, EPOLLONESHOT, EPOLLWAKEUP } from "../uapi/linux/eventpoll.js";

// include/uapi/linux/eventpoll.h: the event bits are the POLL* bits, plus these input flags
/** Flags that say how to report, not what to wait for. */
export const EP_PRIVATE_BITS = EPOLLWAKEUP | EPOLLONESHOT | EPOLLET | EPOLLEXCLUSIVE;

/** struct epitem */
export class EpItem {
  /** On the ready list (rdllink). */
  ready = false;
  /** The wait queues of the file this epitem's callback hangs on. */
  private readonly queues: WaitQueue[];
  private readonly callback: () => void;

  constructor(readonly ep: EventPoll, readonly fd: number, readonly file: File, public events: number, public data: bigint) {
    this.queues = file.poll!().queues;
    // ep_poll_callback: a wake-up of the file's queue; queues forget their waiters when they wake,
    // so the callback hangs itself back on (Linux's entry stays until the epitem is removed)
    this.callback = () => {
      for (const q of this.queues) q.add(this.callback);
      if (!(this.events & ~EP_PRIVATE_BITS)) return; // a fired EPOLLONESHOT: disarmed until EPOLL_CTL_MOD
      this.ep.markReady(this);
    };
    for (const q of this.queues) q.add(this.callback);
  }

  /** ep_item_poll: what the file is ready for among what is asked (ERR and HUP always count). */
  poll(): number {
    return this.file.poll!().mask & this.events;
  }

  /** ep_unregister_pollwait */
  unhook(): void {
    for (const q of this.queues) q.remove(this.callback);
  }
}

/** One event as epoll_wait hands it out. */
export interface EpollEvent { events: number; data: bigint }

/** struct eventpoll */
export class EventPoll extends FileBase {
  /** The watched (file, fd) pairs (Linux's red-black tree keyed by file and fd). */
  readonly items = new Set<EpItem>();
  /** rdllist, in the order items became ready. */
  private rdllist: EpItem[] = [];
  /** epoll_wait sleepers, and pollers of this epoll file itself (ep->wq and ep->poll_wait). */
  readonly wq = new WaitQueue();

  constructor(flags: number) {
    super(O_RDWR | flags, FMODE_READ | FMODE_WRITE, anonInodeName("eventpoll"));
  }

  /** ep_find */
  find(file: File, fd: number): EpItem | undefined {
    for (const item of this.items) if (item.file === file && item.fd === fd) return item;
    return undefined;
  }

  /** ep_insert: watch `file`; if it is ready already it goes on the ready list at once. */
  insert(fd: number, file: File, events: number, data: bigint): void {
    const item = new EpItem(this, fd, file, events, data);
    this.items.add(item);
    if (item.poll()) this.markReady(item);
  }

  /** ep_modify: new events and data; re-polled as on insert. */
  modify(item: EpItem, events: number, data: bigint): void {
    item.events = events;
    item.data = data;
    if (item.poll()) this.markReady(item);
  }

  /** ep_remove */
  remove(item: EpItem): void {
    item.unhook();
    this.items.delete(item);
    if (item.ready) {
      item.ready = false;
      this.rdllist = this.rdllist.filter((i) => i !== item);
    }
  }

  markReady(item: EpItem): void {
    if (!item.ready) {
      item.ready = true;
      this.rdllist.push(item);
    }
    this.wq.wake();
  }

  /**
   * ep_send_events: up to `max` events from the ready list. `stillOpen` says whether an epitem's
   * file is still open at its fd; Linux drops an epitem when its file is closed for the last time
   * (eventpoll_release), and an epitem whose fd now holds another file is dropped here the same way.
   */
  sendEvents(max: number, stillOpen: (item: EpItem) => boolean): EpollEvent[] {
    const out: EpollEvent[] = [];
    const list = this.rdllist;
    this.rdllist = [];
    const requeue: EpItem[] = [];
    for (let i = 0; i < list.length; i++) {
      const item = list[i];
      if (out.length >= max) { requeue.push(...list.slice(i)); break; }
      item.ready = false;
      if (!stillOpen(item)) { this.remove(item); continue; }
      const revents = item.poll();
      if (!revents) continue;
      out.push({ events: revents, data: item.data });
      if (item.events & EPOLLONESHOT) item.events &= EP_PRIVATE_BITS;
      else if (!(item.events & EPOLLET)) requeue.push(item); // level-triggered: asked again next time
    }
    for (const item of requeue) {
      item.ready = true;
      this.rdllist.push(item);
    }
    return out;
  }

  /** Is `ep` this instance, or watched by it through nested epoll files (ep_loop_check)? */
  reaches(ep: EventPoll, depth = 0): boolean {
    if (ep === this) return true;
    if (depth >= EP_MAX_NESTS) return true;
    for (const item of this.items) {
      if (item.file instanceof EventPoll && item.file.reaches(ep, depth + 1)) return true;
    }
    return false;
  }

  /** ep_eventpoll_poll: readable when an epitem on the ready list is ready now. */
  poll(): PollResult {
    const ready = this.rdllist.some((i) => i.poll() !== 0);
    return { mask: ready ? POLLIN | POLLRDNORM : 0, queues: [this.wq] };
  }

  override stat(): Kstat {
    return anonInodeKstat();
  }

  /** ep_free: the last close unhooks every epitem. */
  protected override release(): void {
    for (const item of this.items) item.unhook();
    this.items.clear();
    this.rdllist = [];
  }
}

/** EP_MAX_NESTS: how deep epoll files may watch each other. */
const EP_MAX_NESTS = 4;

/** Always reported, whether asked for or not (epoll_ctl adds them to every epitem). */
export const EPOLL_ALWAYS = POLLERR | POLLHUP;
