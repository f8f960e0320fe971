// Netlink notifications: sockets that join multicast groups and only listen
// (never sent a request, so nothing but events arrives on them), and a reader
// that turns what they receive into an async iterator of decoded messages.
//
// How it waits: Node cannot poll a netlink fd, and a blocking recv would
// block the event loop, so every read is recv(MSG_DONTWAIT). With nothing
// queued the reader sleeps on a timer that backs off, doubling from
// MIN_WAIT_MS, to BUSY_WAIT_MS, and once it has been idle for IDLE_AFTER_MS
// to MAX_WAIT_MS; data sets it back to MIN_WAIT_MS. So a burst is read as it
// comes, changes a second apart wait at most 50 ms, and an idle reader wakes
// 10 times a second for one recv per socket. (A wake of an idle Node process
// costs ~0.2-0.4 ms of CPU on a small VM: 20 a second came to 0.5-1.3% of a
// CPU under load there, 10 a second stays well under 1%.) One timer serves
// every socket of a reader. Nobody waiting, no timer: the kernel queues
// events in the socket (1 MiB) until asked, and when that overflows it drops
// them and says so (ENOBUFS), which the reader passes on as an `overrun`
// event: state has been missed, read it afresh.

import * as sys from '../sys/index.js';
import { NetlinkError } from '../netlink/kernel-error.js';
import { EAGAIN, EINTR, ENOBUFS } from '../netlink/errno.js';
import { decodeMessages, type DecodedMessage, type LayoutMessage, type Protocol } from '../netlink/message.js';

/** First wait when nothing is queued; the longest while data came in the last IDLE_AFTER_MS; the longest after (the worst latency of an event). */
export const MIN_WAIT_MS = 1;
export const BUSY_WAIT_MS = 50;
export const IDLE_AFTER_MS = 1000;
export const MAX_WAIT_MS = 100;
/**
 * Longest stretch of reading and decoding, or of handing out events (with
 * what the consumer does with each, in the same turn), before the event loop
 * gets a turn. Events already queued resolve next() at once, as microtasks,
 * so a quick consumer would otherwise take a whole burst without a break.
 */
const SLICE_MS = 1;

/**
 * A netlink socket that listens to multicast groups. Its fd is opened in the
 * namespace whose events it gets (by a namespace worker, or open() here).
 */
export class EventSocket {
  #closed = false;

  constructor(readonly fd: number, readonly label = 'current netns') {}

  /** A listening socket in this thread's namespace (the main thread's: the process's). */
  static open(label = 'current netns'): EventSocket {
    return new EventSocket(sys.openNetlinkSocket(0), label);
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Join these groups (RTNLGRP_* numbers). */
  subscribe(groups: readonly number[]): this {
    if (this.#closed) throw new Error(`event socket for ${this.label} is closed`);
    for (const g of groups) sys.addMembership(this.fd, g);
    return this;
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    sys.closeQuietly(this.fd);
  }
}

/** What a reader yields: a decoded message from one socket, or word that one socket lost events. */
export type NetlinkEvent<M extends LayoutMessage = LayoutMessage> =
  | { kind: 'message'; socket: EventSocket; message: DecodedMessage<M> }
  | { kind: 'overrun'; socket: EventSocket };

export interface EventReaderOptions {
  /** Aborting ends the iteration (done, not an error) and closes the sockets. */
  signal?: AbortSignal;
  /** Close the sockets when the reader ends (default true). */
  closeSockets?: boolean;
}

/**
 * One receive buffer for every reader: a datagram is copied out and decoded
 * before the next read, so reads never overlap. 1 MiB holds any datagram a
 * socket's 1 MiB receive buffer can.
 */
const RECV_BYTES = 1 << 20;
let recvBuf: Buffer | undefined;
const recvBuffer = (): Buffer => (recvBuf ??= Buffer.allocUnsafe(RECV_BYTES));

type Waiter<T> = { resolve: (r: IteratorResult<T, undefined>) => void; reject: (e: unknown) => void };

/**
 * Events from one or more listening sockets, in the order each socket got
 * them (sockets are read in turn, so the order across sockets is only
 * roughly the order of time). `return()` (a `break` out of `for await`),
 * an abort, or close() ends it at once, pending `next()`s included, and
 * closes the sockets; a failed read rejects the pending `next()` and ends it.
 */
export class EventReader<M extends LayoutMessage = LayoutMessage> implements AsyncIterableIterator<NetlinkEvent<M>, undefined> {
  readonly #sockets: EventSocket[];
  readonly #protocol: Protocol<M>;
  readonly #signal?: AbortSignal;
  readonly #closeSockets: boolean;
  #queue: NetlinkEvent<M>[] = [];
  #head = 0;
  #waiters: Waiter<NetlinkEvent<M>>[] = [];
  #timer: NodeJS.Timeout | undefined;
  #immediate: NodeJS.Immediate | undefined;
  #wait = MIN_WAIT_MS;
  #lastData = performance.now();
  /** A slice: one turn of the event loop in which this reader has handed out events (see SLICE_MS). */
  #inSlice = false;
  #sliceStart = 0;
  readonly #endSlice = (): void => {
    this.#inSlice = false;
  };
  #next = 0; // the socket read first next time: each gets its turn to go first
  #failure: unknown;
  #ended = false;
  readonly #onAbort = (): void => this.close();

  constructor(sockets: EventSocket | readonly EventSocket[], protocol: Protocol<M>, options: EventReaderOptions = {}) {
    this.#sockets = Array.isArray(sockets) ? [...sockets] : [sockets as EventSocket];
    if (this.#sockets.length === 0) throw new RangeError('EventReader: no sockets to read');
    this.#protocol = protocol;
    this.#signal = options.signal;
    this.#closeSockets = options.closeSockets ?? true;
    if (this.#signal?.aborted) this.close();
    else this.#signal?.addEventListener('abort', this.#onAbort, { once: true });
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  /** Has it ended (returned, aborted, closed or failed)? */
  get ended(): boolean {
    return this.#ended;
  }

  next(): Promise<IteratorResult<NetlinkEvent<M>, undefined>> {
    const overBudget = this.#sliceOver();
    if (!overBudget && this.#waiters.length === 0) {
      if (this.#head === this.#queue.length && !this.#ended) this.#read();
      if (this.#head < this.#queue.length) return Promise.resolve({ value: this.#take(), done: false });
    }
    if (this.#head === this.#queue.length && this.#failure !== undefined) {
      const failure = this.#failure;
      this.#failure = undefined;
      return Promise.reject(failure);
    }
    if (this.#ended && this.#head === this.#queue.length) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve, reject) => {
      this.#waiters.push({ resolve, reject });
      // Over budget (or queued behind others): in the next turn of the loop. Nothing queued: after a wait.
      this.#schedule(overBudget || this.#head < this.#queue.length);
    });
  }

  /** End now (`break` in `for await` calls this): pending next()s resolve done, the sockets close. */
  return(): Promise<IteratorResult<NetlinkEvent<M>, undefined>> {
    this.close();
    return Promise.resolve({ value: undefined, done: true });
  }

  /** End now; events already read but not taken are dropped. */
  close(): void {
    if (this.#ended) return;
    this.#finish();
    this.#queue = [];
    this.#head = 0;
    for (const w of this.#waiters.splice(0)) w.resolve({ value: undefined, done: true });
  }

  // ------------------------------------------------------------ internals

  #take(): NetlinkEvent<M> {
    const event = this.#queue[this.#head++];
    if (this.#head === this.#queue.length) {
      this.#queue = [];
      this.#head = 0;
    }
    return event;
  }

  /** Has this turn of the event loop used up its SLICE_MS? (The first call in a turn starts its slice.) */
  #sliceOver(): boolean {
    const now = performance.now();
    if (!this.#inSlice) {
      this.#inSlice = true;
      this.#sliceStart = now;
      setImmediate(this.#endSlice);
      return false;
    }
    return now - this.#sliceStart > SLICE_MS;
  }

  /** Serve the waiters: in the loop's next turn (`soon`), or after the current wait. */
  #schedule(soon = false): void {
    if (this.#ended) {
      this.#deliver();
      return;
    }
    if (soon) this.#immediate ??= setImmediate(this.#soon);
    else if (this.#timer === undefined && this.#immediate === undefined) this.#timer = setTimeout(this.#tick, this.#wait);
  }

  readonly #soon = (): void => {
    this.#immediate = undefined;
    this.#serve(false);
  };

  readonly #tick = (): void => {
    this.#timer = undefined;
    this.#serve(true);
  };

  #serve(waited: boolean): void {
    if (this.#waiters.length === 0) return;
    const got = this.#head === this.#queue.length && !this.#ended ? this.#read() : true;
    // Data (#read reset the wait): read again soon, more of a burst is likely. None after a wait: wait longer, up to a cap.
    if (!got && waited) {
      const cap = performance.now() - this.#lastData > IDLE_AFTER_MS ? MAX_WAIT_MS : BUSY_WAIT_MS;
      this.#wait = Math.min(this.#wait * 2, cap);
    }
    this.#deliver();
    if (this.#waiters.length > 0) this.#schedule();
  }

  /** Hand queued events (or the failure, or the end) to pending next()s. */
  #deliver(): void {
    while (this.#waiters.length > 0 && this.#head < this.#queue.length) this.#waiters.shift()!.resolve({ value: this.#take(), done: false });
    if (this.#waiters.length === 0) return;
    if (this.#failure !== undefined) {
      const failure = this.#failure;
      this.#failure = undefined;
      const [first, ...rest] = this.#waiters.splice(0);
      first.reject(failure);
      for (const w of rest) w.resolve({ value: undefined, done: true });
    } else if (this.#ended) {
      for (const w of this.#waiters.splice(0)) w.resolve({ value: undefined, done: true });
    }
  }

  /** Read what the sockets hold now, within SLICE_MS; whether anything came (and if so, wait the least next time). */
  #read(): boolean {
    const got = this.#readSockets();
    if (got) {
      this.#wait = MIN_WAIT_MS;
      this.#lastData = performance.now();
    }
    return got;
  }

  #readSockets(): boolean {
    const before = this.#queue.length - this.#head;
    const started = performance.now();
    const count = this.#sockets.length;
    const first = this.#next;
    this.#next = (this.#next + 1) % count;
    const buf = recvBuffer();
    for (let k = 0; k < count && !this.#ended; k++) {
      const socket = this.#sockets[(first + k) % count];
      for (;;) {
        const n = sys.recvBytes(socket.fd, buf, sys.MSG_DONTWAIT | sys.MSG_TRUNC);
        if (n === -EAGAIN) break;
        if (n === -EINTR) continue;
        if (n === -ENOBUFS || n > buf.length) {
          // The kernel dropped events (or one was too big to read whole, and is gone): say so, once.
          const last = this.#queue[this.#queue.length - 1];
          if (this.#queue.length === this.#head || last.kind !== 'overrun' || last.socket !== socket) this.#queue.push({ kind: 'overrun', socket });
          continue;
        }
        try {
          if (n < 0) throw new NetlinkError(-n, `read events in ${socket.label}`);
          // Decode from a copy: the messages wait in the queue while the buffer is reused. Most
          // events are under 4 KiB, which allocUnsafe carves from Node's pool: no ArrayBuffer each.
          const bytes = Buffer.allocUnsafe(n);
          buf.copy(bytes, 0, 0, n);
          for (const message of decodeMessages(bytes, this.#protocol)) this.#queue.push({ kind: 'message', socket, message });
        } catch (error) {
          this.#failure = error;
          this.#finish();
          return this.#queue.length - this.#head > before;
        }
        if (performance.now() - started > SLICE_MS) return true; // the rest on the next read
      }
    }
    return this.#queue.length - this.#head > before;
  }

  /** Ended: no more reads; the timer, the abort listener and (if ours to close) the sockets go. */
  #finish(): void {
    this.#ended = true;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    if (this.#immediate !== undefined) clearImmediate(this.#immediate);
    this.#timer = this.#immediate = undefined;
    this.#signal?.removeEventListener('abort', this.#onAbort);
    if (this.#closeSockets) for (const s of this.#sockets) s.close();
  }
}
