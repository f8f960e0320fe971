// A big route dump kept as the kernel's bytes: each datagram is copied once
// (up to 32 KiB, ~500 routes) and a route becomes a Route object only when it
// is asked for. For tables of 100,000s of routes whose caller looks at a few,
// or counts them, or walks them once: no object per route is made by the
// dump, and what is held is ~60 bytes a route instead of ~130.

import { u16At, u32At } from '../netlink/bytes.js';
import { NLMSG_HDRLEN } from '../netlink/message.js';
import { readRoute } from './readers.js';
import type { Route } from './convert.js';

const RTA_TABLE = 15;

/** The table a route message at b[off, off+len) belongs to: RTA_TABLE if present, else rtm_table. */
export function routeTableOf(b: Uint8Array, off: number, len: number): number {
  const end = off + len;
  const h = off + NLMSG_HDRLEN;
  for (let p = h + 12; end - p >= 8;) { // rtmsg is 12 bytes
    const n = u16At(b, p);
    if (n < 4) break;
    if ((u16At(b, p + 2) & 0x3fff) === RTA_TABLE && n === 8) return u32At(b, p + 4);
    p += (n + 3) & ~3;
  }
  return b[h + 4];
}

/** Collects the messages of one dump (as `read` with `keep`) into a RouteList. */
export class RouteListBuilder {
  private readonly chunks: Uint8Array[] = [];
  private last: Uint8Array | undefined;
  private where = new Uint32Array(3 * 1024);
  private count = 0;

  constructor(private readonly table: number | undefined) {}

  /** For DumpOptions.read (with keep: true): remember where the message is; nothing to return. */
  readonly add = (b: Uint8Array, off: number, len: number): undefined => {
    if (this.table !== undefined && routeTableOf(b, off, len) !== this.table) return undefined; // older kernels ignore the filter
    if (b !== this.last) {
      this.chunks.push(b);
      this.last = b;
    }
    let k = 3 * this.count;
    if (k + 3 > this.where.length) {
      const grown = new Uint32Array(2 * this.where.length);
      grown.set(this.where);
      this.where = grown;
    }
    this.where[k++] = this.chunks.length - 1;
    this.where[k++] = off;
    this.where[k] = len;
    this.count++;
    return undefined;
  };

  /** The list; call once the dump is complete (an interrupted dump that is read again starts a new builder). */
  done(): RouteList {
    return new RouteList(this.chunks, this.where.subarray(0, 3 * this.count), this.count);
  }
}

/**
 * Routes of one dump, made into Route objects on demand: `at(i)` reads route
 * i from its bytes each time it is called (the same Route listRoutes()
 * returns); iterate it, or `toArray()` for all of them. A message the
 * readers cannot read throws its DecodeError when it is read.
 */
export class RouteList implements Iterable<Route> {
  /** @internal made by RouteListBuilder */
  constructor(private readonly chunks: readonly Uint8Array[], private readonly where: Uint32Array, readonly length: number) {}

  /** Route i (0 ≤ i < length), or undefined outside. */
  at(i: number): Route | undefined {
    if (!(Number.isInteger(i) && i >= 0 && i < this.length)) return undefined;
    const k = 3 * i;
    return readRoute(this.chunks[this.where[k]], this.where[k + 1], this.where[k + 2]);
  }

  *[Symbol.iterator](): Generator<Route, void, undefined> {
    for (let i = 0; i < this.length; i++) yield this.at(i)!;
  }

  /** Every route as an object: what listRoutes() returns. */
  toArray(): Route[] {
    const out = new Array<Route>(this.length);
    for (let i = 0; i < this.length; i++) out[i] = this.at(i)!;
    return out;
  }
}
