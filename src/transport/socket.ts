// A netlink socket driven from the main thread: request/ack, dumps until
// NLMSG_DONE, and batches of many requests in one send.
//
// Why synchronous calls are fine here: rtnetlink handles a request inside
// our send, so its ack (or the first part of a dump) is already queued when
// send returns, and the rest of a dump is produced inside recv. The socket is
// non-blocking anyway; if nothing is queued we wait on a timer instead of
// blocking the event loop. Long dumps yield to the event loop every 0.5 ms.
// Sends and single reads are Node's write/read on the fd (sys.writeDatagram,
// sys.readDatagram: no FFI); the acks of a batch are read many at a time
// (recvmmsg).

import * as sys from '../sys/index.js';
import { Writer, u16At, u32At } from '../netlink/bytes.js';
import { NetlinkError } from '../netlink/kernel-error.js';
import { EAGAIN, EINTR, EMSGSIZE, ENOBUFS, EOPNOTSUPP } from '../netlink/errno.js';
import type { Request } from '../netlink/request.js';
import {
  decodeMessages, encodeMessage, forEachMessage, messageLength, NLMSG_DONE, NLMSG_ERROR, NLM_F_ACK, NLM_F_DUMP, NLM_F_DUMP_INTR,
  NLM_F_REQUEST, type DecodedMessage, type ErrorMessage, type LayoutMessage, type Message, type Protocol, type RawMessage,
} from '../netlink/message.js';

export type { Request };

/** What a request hands back besides its ack: messages of the protocol's layouts, or raw (or a stray NLMSG_DONE). */
export type ReplyMessage<M extends LayoutMessage = LayoutMessage> = Exclude<DecodedMessage<M>, ErrorMessage>;

/** One reply of a dump, before its end: a message of the protocol's layouts, or raw. */
export type DumpMessage<M extends LayoutMessage = LayoutMessage> = M | RawMessage;

export interface DumpOptions<T, M extends LayoutMessage = LayoutMessage> {
  /** Turn each decoded reply into a result (undefined: skip it). */
  map?: (m: DumpMessage<M>) => T | undefined;
  /** Turn each data message at b[off, off+len) straight into a result, undecoded (undefined: skip it). */
  read?: (b: Uint8Array, off: number, len: number) => T | undefined;
  /**
   * With `read`: hand it each datagram's own copy instead of the shared
   * buffer, so it may keep (b, off, len) and read the message later (one copy
   * per datagram of up to 32 KiB, not one per message).
   */
  keep?: boolean;
  /** Read an interrupted dump (NLM_F_DUMP_INTR) again up to this many times (default 0: fail with EINTR). */
  retries?: number;
  /**
   * Called when a dump came back interrupted and is about to be read again:
   * `attempt` counts from 1, `partial` is how many results the interrupted
   * read had. (Tests count retries with it; a caller may log them.)
   */
  onRetry?: (attempt: number, partial: number) => void;
  /** Decodes the replies (`map`) and the dump's end (`read`); default: the socket's. */
  protocol?: Protocol<M>;
}

/**
 * One receive buffer shared by every socket. The main thread decodes each
 * datagram completely (copying values out) before it reads the next, so no
 * two reads ever overlap. 1 MiB is more than the largest datagram the socket's
 * receive buffer can hold, so nothing is ever truncated.
 */
const RECV_BYTES = 1 << 20;
let recvBuf: Buffer | undefined;
const recvBuffer = (): Buffer => (recvBuf ??= Buffer.allocUnsafe(RECV_BYTES));
/**
 * The datagram just received, copied out of the shared buffer. allocUnsafe
 * carves one under 4 KiB (a single reply, most often) from Node's pool: no
 * ArrayBuffer of its own, ~1 µs cheaper than slice().
 */
const ownCopy = (n: number): Uint8Array => {
  const copy = Buffer.allocUnsafe(n);
  recvBuffer().copy(copy, 0, 0, n);
  return copy;
};

const MAX_WAIT_MS = 30_000;
/** Longest stretch a dump decodes (or a batch sends) before it lets the event loop run. */
const YIELD_EVERY_MS = 0.5;
/** Most requests per send in a batch: their acks must fit the 1 MiB receive buffer (~1 KiB of skb each). */
const BATCH_CHUNK = 256;
/**
 * The kernel handles a send's requests before send returns, with the event
 * loop blocked. A batch sends its first requests in twos to learn what one
 * costs, then sizes each send to take about this long, and yields to the
 * loop between sends. (Bigger sends are faster, ~5-15% for 5,000 address
 * adds on the 2-vCPU test VM, but a 256-request send of them blocks ~20 ms;
 * sending from another thread did not help there, see bench/README.md.)
 */
const SEND_BUDGET_MS = 1.5;
const FIRST_CHUNK = 2;
/** Requests per send when replies (echoes, ~4 KiB of skb each) come too: they must fit the receive buffer. */
const ECHO_CHUNK = 64;

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const yieldToLoop = () => new Promise<void>((r) => setImmediate(r));

/** A batch's other replies than acks (NLM_F_ECHO copies): decoded with `protocol`, passed to `each` with the request's index. */
export interface BatchReplies<M extends LayoutMessage = LayoutMessage> {
  protocol: Protocol<M>;
  each: (i: number, m: ReplyMessage<M>) => void;
}

/** A netlink socket whose requests are encoded (and replies decoded, by default) with a Protocol<M>. */
export class NetlinkSocket<out M extends LayoutMessage = LayoutMessage> {
  readonly port: number;
  private seq = Math.floor(Math.random() * 0x7fffffff);
  private readonly writer = new Writer(4096);
  private waiters: (() => void)[] = [];
  private locked = false;
  private closed = false;

  /** Wrap an fd (from a namespace worker, or open one in this thread's namespace). */
  constructor(readonly fd: number, readonly protocol: Protocol<M>, readonly label = 'current netns') {
    this.port = sys.socketPortId(fd);
    sys.setNonBlocking(fd); // reads are read(2), which has no MSG_DONTWAIT
  }

  static open<M extends LayoutMessage>(protocol: Protocol<M>, label?: string): NetlinkSocket<M> {
    const fd = sys.openNetlinkSocket(0);
    try {
      return new NetlinkSocket(fd, protocol, label);
    } catch (e) {
      sys.closeFd(fd);
      throw e;
    }
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    sys.closeFd(this.fd);
  }

  /**
   * Send one request and wait for its answer. With NLM_F_ACK (added unless
   * `noAck`) the answer is the ack; messages before it (an NLM_F_ECHO copy, a
   * GET reply) are returned.
   */
  request<R extends LayoutMessage = M>(req: Request, operation: string, opts: { noAck?: boolean; protocol?: Protocol<R> } = {}): Promise<ReplyMessage<R>[]> {
    const protocol: Protocol = opts.protocol ?? this.protocol;
    return this.exclusive(async () => {
      const flags = req.flags | NLM_F_REQUEST | (opts.noAck ? 0 : NLM_F_ACK);
      const seq = this.sendOne(req, flags);
      const replies: ReplyMessage<R>[] = [];
      let failure: NetlinkError | undefined;
      let finished = false;
      const since = performance.now();
      while (!finished) {
        const n = this.recvNow(operation);
        if (n < 0) { await this.waitForData(operation, since); continue; }
        // The replies go back to the caller: decode from a copy, so their byte values stay valid.
        forEachMessage(ownCopy(n), protocol, (m) => {
          if (m.seq !== seq || finished) return;
          if (m.type === NLMSG_ERROR) {
            const e = m as ErrorMessage;
            if (e.error < 0) failure = NetlinkError.from(e, operation, this.lastRequest(), this.protocol);
            finished = true;
          } else {
            replies.push(m as ReplyMessage<R>);
            if (opts.noAck) finished = true;
          }
        }, 0, n);
      }
      if (failure) throw failure;
      return replies;
    });
  }

  /**
   * Like request(), but each reply other than the ack is read straight from
   * the receive buffer by `read` (see src/api/readers.ts): no copy, no
   * decoding into messages. `read` must not keep the buffer; it returns the
   * result, and the results come back in order.
   */
  requestRead<T>(req: Request, operation: string, read: (b: Uint8Array, off: number, len: number) => T, opts: { noAck?: boolean } = {}): Promise<T[]> {
    const flags = req.flags | NLM_F_REQUEST | (opts.noAck ? 0 : NLM_F_ACK);
    return this.withLock(() => {
      const seq = this.sendOne(req, flags);
      const got: Replies<T> = { results: [], finished: false, failure: undefined };
      // The answer is almost always queued by the time send returns: no promise, no timer.
      if (this.readReplies(seq, operation, read, opts.noAck === true, got)) return settled(got);
      return (async () => {
        const since = performance.now();
        do await this.waitForData(operation, since);
        while (!this.readReplies(seq, operation, read, opts.noAck === true, got));
        return settled(got);
      })();
    });
  }

  /** Read what is queued for request `seq` into `got`; whether its answer is complete. */
  private readReplies<T>(seq: number, operation: string, read: (b: Uint8Array, off: number, len: number) => T, noAck: boolean, got: Replies<T>): boolean {
    while (!got.finished) {
      const n = this.recvNow(operation);
      if (n < 0) return false;
      const b = recvBuffer();
      for (let off = 0; off < n && !got.finished;) {
        const len = messageLength(b, off, n);
        if (u32At(b, off + 8) === seq) {
          if (u16At(b, off + 4) === NLMSG_ERROR) {
            const e = decodeMessages(b, this.protocol, off, off + len)[0] as ErrorMessage;
            if (e.error < 0) got.failure = NetlinkError.from(e, operation, this.lastRequest(), this.protocol);
            got.finished = true;
          } else {
            got.results.push(read(b, off, len));
            if (noAck) got.finished = true;
          }
        }
        off += (len + 3) & ~3;
      }
    }
    return true;
  }

  /**
   * Dump (NLM_F_DUMP) and collect every reply until NLMSG_DONE, mapped by
   * `map` as they arrive (so raw messages need not be held). `map` sees byte
   * values (raw attributes) as views of a shared buffer, valid during the
   * call only: it must copy any it keeps. Without `map`, messages own their bytes. A dump the
   * kernel marks NLM_F_DUMP_INTR (the table changed underneath) is retried
   * `retries` times, then fails with the partial result attached. `read`
   * replaces decoding and `map`: it gets each data message's bytes.
   */
  dump<R extends LayoutMessage = M, T = DumpMessage<R>>(req: Request, operation: string, opts: DumpOptions<T, R> = {}): Promise<T[]> {
    return this.exclusive(async () => {
      for (let attempt = 0; ; attempt++) {
        const { items, interrupted } = await this.dumpOnce(req, operation, opts, opts.protocol ?? this.protocol);
        if (!interrupted) return items;
        if (attempt >= (opts.retries ?? 0)) {
          throw new NetlinkError(EINTR, operation, {
            text: 'dump interrupted: the table changed while it was being read (NLM_F_DUMP_INTR)',
            partial: items as unknown as Message[],
          });
        }
        opts.onRetry?.(attempt + 1, items.length);
      }
    });
  }

  /**
   * Send many requests in few sends, each with its own ack, sized so that no
   * send keeps the event loop for much more than SEND_BUDGET_MS, yielding to
   * it between sends. Resolves to one entry per request: undefined for
   * success, or its error.
   * `replies`, if given, sees every other message answering request i (an
   * NLM_F_ECHO copy), decoded with its `protocol`; byte values in it are views
   * valid during the call only.
   */
  batch<R extends LayoutMessage = M>(
    reqs: Request[],
    describe: (i: number) => string = (i) => `request ${i + 1} of a batch`,
    replies?: BatchReplies<R>,
  ): Promise<(NetlinkError | undefined)[]> {
    return this.exclusive(async () => {
      const results: (NetlinkError | undefined)[] = new Array(reqs.length).fill(undefined);
      const most = replies ? ECHO_CHUNK : BATCH_CHUNK;
      let size = FIRST_CHUNK;
      let cost = 0; // ms per request: follows a rise at once, a fall slowly (sends vary 2-4x on a busy VM)
      let sinceYield = performance.now();
      for (let start = 0; start < reqs.length;) {
        if (performance.now() - sinceYield > YIELD_EVERY_MS) {
          await yieldToLoop();
          sinceYield = performance.now();
        }
        const chunk = reqs.slice(start, start + size);
        cost = Math.max(await this.sendChunk(chunk, start, results, describe, replies), 0.7 * cost);
        start += chunk.length;
        // About SEND_BUDGET_MS of kernel work per send, growing at most twofold from one to the next.
        size = Math.max(1, Math.min(most, 2 * chunk.length, Math.floor(SEND_BUDGET_MS / Math.max(cost, 1e-3))));
      }
      return results;
    });
  }

  /**
   * Several requests in ONE send. The kernel handles a send's messages one
   * after the other inside that sendmsg call, so a process killed around it
   * has all of them done or none: what a link's creation and its ownership
   * mark need (src/wire/mark.ts). Per request: undefined, or its error;
   * `replies` as in batch().
   */
  together<R extends LayoutMessage = M>(reqs: Request[], describe: (i: number) => string, replies?: BatchReplies<R>): Promise<(NetlinkError | undefined)[]> {
    return this.exclusive(async () => {
      const results: (NetlinkError | undefined)[] = new Array(reqs.length).fill(undefined);
      await this.sendChunk(reqs, 0, results, describe, replies);
      return results;
    });
  }

  // ------------------------------------------------------------ internals

  /**
   * One send of a batch, then its acks: errors go to results[start + i].
   * Resolves to the kernel's time per request (sendmsg returns once it has
   * handled them all), which sizes the next send.
   */
  private async sendChunk<R extends LayoutMessage>(
    chunk: Request[], start: number, results: (NetlinkError | undefined)[], describe: (i: number) => string,
    replies: BatchReplies<R> | undefined,
  ): Promise<number> {
    const decodeWith: Protocol = replies?.protocol ?? this.protocol;
    const w = this.writer.reset();
    const firstSeq = this.seq + 1;
    const offsets: number[] = [];
    const m = { type: 0, flags: 0, seq: 0, port: 0, header: undefined as unknown, attrs: undefined as unknown };
    for (const req of chunk) {
      w.pad4();
      offsets.push(w.pos);
      // One scratch message for the whole chunk: nothing allocated per request.
      m.type = req.type; m.flags = req.flags | NLM_F_REQUEST | NLM_F_ACK; m.seq = this.nextSeq(); m.header = req.header; m.attrs = req.attrs;
      encodeMessage(w, m as LayoutMessage, this.protocol);
    }
    const sent = performance.now();
    this.sendWritten();
    const perRequestMs = (performance.now() - sent) / chunk.length;
    let pending = chunk.length;
    const onAck = (m: Message): void => {
      const i = ((m.seq - firstSeq) >>> 0);
      if (i >= chunk.length) return;
      if (m.type !== NLMSG_ERROR) {
        replies?.each(start + i, m as ReplyMessage<R>);
        return;
      }
      pending--;
      const e = m as ErrorMessage;
      if (e.error < 0) {
        const bytes = w.buf.subarray(offsets[i], offsets[i] + messageLength(w.buf, offsets[i], w.pos));
        results[start + i] = NetlinkError.from(e, describe(start + i), bytes, this.protocol);
      }
    };
    const since = performance.now();
    while (pending > 0) {
      // Many acks per call where the FFI allows (recvmmsg); one at a time otherwise, and
      // where replies are wanted: an echo can outgrow recvmmsg's 4 KiB slots.
      const many = replies ? -EOPNOTSUPP : sys.recvMany(this.fd, sys.MSG_DONTWAIT);
      if (many > 0) {
        for (let k = 0; k < many; k++) {
          const from = k * sys.MANY_SLOT_BYTES;
          forEachMessage(sys.manyData, decodeWith, onAck, from, from + sys.manyLength(k));
        }
        continue;
      }
      if (many === -EAGAIN) { await this.waitForData('batch', since); continue; }
      if (many === -EMSGSIZE) throw new NetlinkError(EMSGSIZE, 'batch', { text: `an answer was larger than ${sys.MANY_SLOT_BYTES} bytes` });
      if (many === -ENOBUFS) throw new NetlinkError(ENOBUFS, 'batch', { text: 'the socket receive buffer overflowed and acks were lost' });
      if (many !== -EOPNOTSUPP && many !== -EINTR) throw new NetlinkError(-many, 'batch');
      const n = this.recvNow('batch'); // no recvmmsg here (EOPNOTSUPP): one at a time
      if (n < 0) { await this.waitForData('batch', since); continue; }
      forEachMessage(recvBuffer(), decodeWith, onAck, 0, n);
    }
    return perRequestMs;
  }

  private nextSeq(): number {
    this.seq = (this.seq + 1) >>> 0 || 1;
    return this.seq;
  }

  private sendOne(req: Request, flags: number): number {
    const seq = this.nextSeq();
    encodeMessage(this.writer.reset(), { type: req.type, flags, seq, port: 0, header: req.header, attrs: req.attrs }, this.protocol);
    this.sendWritten();
    return seq;
  }

  /** The bytes of the last single request, for naming the attribute an extended ACK points at. */
  private lastRequest(): Uint8Array {
    return this.writer.buf.subarray(0, this.writer.pos);
  }

  private sendWritten(): void {
    if (this.closed) throw new Error(`netlink socket for ${this.label} is closed`);
    sys.writeDatagram(this.fd, this.writer.buf, this.writer.pos);
  }

  /**
   * Read one datagram into the shared buffer, now: its length, or -1 if none
   * is queued yet. Callers decode it before their next await, so no other
   * socket's read can overwrite the shared buffer in between.
   */
  private recvNow(operation: string): number {
    const buf = recvBuffer();
    for (;;) {
      const n = sys.readDatagram(this.fd, buf);
      if (n >= 0) return fits(n, buf, operation);
      if (n === -EINTR) continue;
      if (n === -EAGAIN) return -1;
      if (n === -ENOBUFS) throw new NetlinkError(ENOBUFS, operation, { text: 'the socket receive buffer overflowed and replies were lost' });
      throw new NetlinkError(-n, operation);
    }
  }

  /** Nothing queued yet (rare for rtnetlink): wait a little without blocking the event loop. */
  private async waitForData(operation: string, since: number): Promise<void> {
    if (performance.now() - since > MAX_WAIT_MS) throw new NetlinkError(110 /* ETIMEDOUT */, operation, { text: `no reply from the kernel after ${MAX_WAIT_MS} ms` });
    await sleep(1);
  }

  /**
   * `protocol` decodes the replies (a projection of this socket's, for speed); requests always use this socket's.
   * `read`, if given, turns each data message straight from its bytes into a result (see src/api/readers.ts).
   */
  private async dumpOnce<T, R extends LayoutMessage>(req: Request, operation: string, opts: DumpOptions<T, R>, protocol: Protocol): Promise<{ items: T[]; interrupted: boolean }> {
    const seq = this.sendOne(req, req.flags | NLM_F_REQUEST | NLM_F_DUMP);
    const { map, read } = opts;
    const items: T[] = [];
    let interrupted = false;
    let done = false;
    let failure: NetlinkError | undefined;
    let since = performance.now();
    const started = since;
    while (!done) {
      const n = this.recvNow(operation);
      if (n < 0) { await this.waitForData(operation, started); continue; }
      if (read) {
        const b = opts.keep ? ownCopy(n) : recvBuffer();
        for (let off = 0; off < n && !done;) {
          const len = messageLength(b, off, n);
          if (u32At(b, off + 8) === seq) {
            const type = u16At(b, off + 4);
            if (u16At(b, off + 6) & NLM_F_DUMP_INTR) interrupted = true;
            if (type === NLMSG_DONE || type === NLMSG_ERROR) {
              failure = dumpFailure(decodeMessages(b, protocol, off, off + len)[0], operation);
              done = true;
            } else {
              const item = read(b, off, len);
              if (item !== undefined) items.push(item);
            }
          }
          off += (len + 3) & ~3;
        }
      } else {
        // A mapper turns each message into its own values at once; raw messages kept as they are need their own bytes.
        forEachMessage(map ? recvBuffer() : ownCopy(n), protocol, (m) => {
          if (m.seq !== seq || done) return;
          if (m.flags & NLM_F_DUMP_INTR) interrupted = true;
          if (m.type === NLMSG_DONE || m.type === NLMSG_ERROR) {
            failure = dumpFailure(m, operation);
            done = true;
            return;
          }
          const item = map ? map(m as DumpMessage<R>) : (m as unknown as T);
          if (item !== undefined) items.push(item);
        }, 0, n);
      }
      if (!done && performance.now() - since > YIELD_EVERY_MS) {
        await yieldToLoop();
        since = performance.now();
      }
    }
    if (failure) throw failure;
    return { items, interrupted };
  }

  /**
   * exclusive() for work that usually finishes at once: `fn` returns its
   * value (no promise made while it runs) or a promise; the lock is held
   * until either is settled.
   */
  private withLock<T>(fn: () => T | Promise<T>): Promise<T> {
    if (this.locked) return new Promise<void>((wake) => this.waiters.push(wake)).then(() => this.holding(fn)); // woken holding the lock
    this.locked = true;
    return this.holding(fn);
  }

  private holding<T>(fn: () => T | Promise<T>): Promise<T> {
    let out: T | Promise<T>;
    try {
      out = fn();
    } catch (error) {
      this.release();
      return Promise.reject(error);
    }
    if (!(out instanceof Promise)) {
      this.release();
      return Promise.resolve(out);
    }
    return out.then((value) => { this.release(); return value; }, (error: unknown) => { this.release(); throw error; });
  }

  private release(): void {
    const next = this.waiters.shift();
    if (next) next();
    else this.locked = false;
  }

  /** One operation at a time per socket: a dump that yields must not have its replies read by another. */
  private async exclusive<T>(fn: () => Promise<T>): Promise<T> {
    if (this.locked) await new Promise<void>((wake) => this.waiters.push(wake)); // woken holding the lock
    else this.locked = true;
    try {
      return await fn();
    } finally {
      this.release();
    }
  }
}

interface Replies<T> { results: T[]; finished: boolean; failure: NetlinkError | undefined }

/** What a finished request resolves to: its results, or its failure thrown. */
function settled<T>(got: Replies<T>): T[] {
  if (got.failure) throw got.failure;
  return got.results;
}

/** The error a dump's last message (NLMSG_DONE or NLMSG_ERROR) reports, if any. */
function dumpFailure(m: Message, operation: string): NetlinkError | undefined {
  const e = m as ErrorMessage;
  return e.error < 0 ? NetlinkError.from(e, operation) : undefined;
}

/** A datagram's size, if the buffer surely held all of it (read(2) cuts a larger one to the buffer's size). */
function fits(n: number, buf: Uint8Array, operation: string): number {
  if (n >= buf.length) throw new NetlinkError(EMSGSIZE, operation, { text: `a reply filled the ${buf.length}-byte receive buffer and may have been cut` });
  return n;
}
