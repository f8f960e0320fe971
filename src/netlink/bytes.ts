// Low-level byte helpers shared by the codec: a growable little-endian writer
// and fast readers. Plain Uint8Array arithmetic, because it is what V8
// optimises best and it keeps the codec free of Node-only APIs.

import { quote } from './text.js';
import { EncodeError } from './errors.js';

/** Netlink aligns headers and attributes to 4 bytes. */
export const align4 = (n: number): number => (n + 3) & ~3;

export const u16At = (b: Uint8Array, o: number): number => b[o] | (b[o + 1] << 8);
export const u32At = (b: Uint8Array, o: number): number =>
  (b[o] | (b[o + 1] << 8) | (b[o + 2] << 16)) + b[o + 3] * 0x1000000;
export const s32At = (b: Uint8Array, o: number): number =>
  b[o] | (b[o + 1] << 8) | (b[o + 2] << 16) | (b[o + 3] << 24);
/**
 * u64 as a JS number: exact up to 2^53, which every counter the kernel keeps
 * stays below. A zero high word skips the multiplication: a small value then
 * stays a small integer (a Smi) instead of a boxed double, and objects holding
 * it stay small (see attr.ts, struct).
 */
export const u64At = (b: Uint8Array, o: number): number => {
  const hi = u32At(b, o + 4);
  return hi === 0 ? u32At(b, o) : hi * 0x100000000 + u32At(b, o);
};
export const be16At = (b: Uint8Array, o: number): number => (b[o] << 8) | b[o + 1];
export const be32At = (b: Uint8Array, o: number): number =>
  b[o] * 0x1000000 + ((b[o + 1] << 16) | (b[o + 2] << 8) | b[o + 3]);

function checkInt(v: number, max: number, what: string): void {
  if (!Number.isInteger(v) || v < 0 || v > max) throw new EncodeError(`${what} out of range: ${v}`);
}

/**
 * A growable buffer that writes little-endian integers and lets the caller
 * patch a length field once the nested content is known.
 */
export class Writer {
  buf: Uint8Array;
  pos = 0;

  constructor(initialBytes = 4096) {
    this.buf = new Uint8Array(initialBytes);
  }

  reset(): this {
    this.pos = 0;
    return this;
  }

  /** Make room for n more bytes. */
  reserve(n: number): void {
    const need = this.pos + n;
    if (need <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < need) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.pos));
    this.buf = next;
  }

  u8(v: number): void {
    checkInt(v, 0xff, 'u8');
    this.reserve(1);
    this.buf[this.pos++] = v;
  }

  u16(v: number): void {
    checkInt(v, 0xffff, 'u16');
    this.reserve(2);
    const b = this.buf, o = this.pos;
    b[o] = v;
    b[o + 1] = v >>> 8;
    this.pos = o + 2;
  }

  be16(v: number): void {
    checkInt(v, 0xffff, 'be16');
    this.reserve(2);
    const b = this.buf, o = this.pos;
    b[o] = v >>> 8;
    b[o + 1] = v;
    this.pos = o + 2;
  }

  u32(v: number): void {
    checkInt(v, 0xffffffff, 'u32');
    this.rawU32(v);
  }

  s32(v: number): void {
    if (!Number.isInteger(v) || v < -0x80000000 || v > 0x7fffffff) throw new EncodeError(`s32 out of range: ${v}`);
    this.rawU32(v >>> 0);
  }

  be32(v: number): void {
    checkInt(v, 0xffffffff, 'be32');
    this.reserve(4);
    const b = this.buf, o = this.pos;
    b[o] = v >>> 24;
    b[o + 1] = v >>> 16;
    b[o + 2] = v >>> 8;
    b[o + 3] = v;
    this.pos = o + 4;
  }

  u64(v: number | bigint): void {
    const big = BigInt(v);
    if (big < 0n || big > 0xffffffffffffffffn) throw new EncodeError(`u64 out of range: ${v}`);
    this.rawU32(Number(big & 0xffffffffn));
    this.rawU32(Number(big >> 32n));
  }

  bytes(data: Uint8Array): void {
    this.reserve(data.length);
    this.buf.set(data, this.pos);
    this.pos += data.length;
  }

  /** Zero bytes up to the next 4-byte boundary. */
  pad4(): void {
    const end = align4(this.pos);
    this.reserve(end - this.pos);
    this.buf.fill(0, this.pos, end);
    this.pos = end;
  }

  zeros(n: number): void {
    this.reserve(n);
    this.buf.fill(0, this.pos, this.pos + n);
    this.pos += n;
  }

  patchU16(at: number, v: number): void {
    this.buf[at] = v;
    this.buf[at + 1] = v >>> 8;
  }

  patchU32(at: number, v: number): void {
    const b = this.buf;
    b[at] = v;
    b[at + 1] = v >>> 8;
    b[at + 2] = v >>> 16;
    b[at + 3] = v >>> 24;
  }

  /** A copy of what was written, so the writer can be reused. */
  take(): Uint8Array {
    return this.buf.slice(0, this.pos);
  }

  private rawU32(v: number): void {
    this.reserve(4);
    const b = this.buf, o = this.pos;
    b[o] = v;
    b[o + 1] = v >>> 8;
    b[o + 2] = v >>> 16;
    b[o + 3] = v >>> 24;
    this.pos = o + 4;
  }
}

const HEX: string[] = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

const HEXCODE = Array.from({ length: 16 }, (_, i) => '0123456789abcdef'.charCodeAt(i));
const hi = (x: number) => HEXCODE[x >> 4];
const lo = (x: number) => HEXCODE[x & 15];

const BROADCAST_MAC = 'ff:ff:ff:ff:ff:ff';

/** Bytes as `02:00:00:00:00:01` (any length: MACs, tunnel addresses, infiniband GUIDs). */
export function formatLladdr(b: Uint8Array, off: number, len: number): string {
  if (len === 6) {
    // One flat string in one allocation: MACs are most of what a link dump formats.
    const a = b[off], c = b[off + 1], d = b[off + 2], e = b[off + 3], f = b[off + 4], g = b[off + 5];
    if ((a & c & d & e & f & g) === 0xff) return BROADCAST_MAC; // every Ethernet link's broadcast: one string for all

    return String.fromCharCode(hi(a), lo(a), 58, hi(c), lo(c), 58, hi(d), lo(d), 58, hi(e), lo(e), 58, hi(f), lo(f), 58, hi(g), lo(g));
  }
  if (len === 0) return '';
  let s = HEX[b[off]];
  for (let i = 1; i < len; i++) s += ':' + HEX[b[off + i]];
  return s;
}

export function parseLladdr(text: string): Uint8Array {
  if (text === '') return new Uint8Array(0);
  const parts = text.split(':');
  const out = new Uint8Array(parts.length);
  for (let i = 0; i < parts.length; i++) {
    const p = parts[i];
    if (!/^[0-9a-fA-F]{1,2}$/.test(p)) throw new EncodeError(`not a link-layer address: ${quote(text)}`);
    out[i] = parseInt(p, 16);
  }
  return out;
}

const DEC: string[] = Array.from({ length: 256 }, (_, i) => String(i));
const DEC_DOT: string[] = DEC.map((d) => d + '.');

// A small direct-mapped cache: dumps repeat addresses (gateways, preferred
// sources), and one shared string beats a new one per route.
const V4_CACHE_SIZE = 256;
const v4Keys = new Float64Array(V4_CACHE_SIZE).fill(-1);
const v4Text: string[] = new Array(V4_CACHE_SIZE).fill('');

export function formatIPv4(b: Uint8Array, o: number): string {
  const key = b[o] * 16777216 + ((b[o + 1] << 16) | (b[o + 2] << 8) | b[o + 3]);
  const slot = (b[o] ^ b[o + 1] ^ b[o + 2] ^ (b[o + 3] * 7)) & (V4_CACHE_SIZE - 1);
  if (v4Keys[slot] === key) return v4Text[slot];
  const text = DEC_DOT[b[o]] + DEC_DOT[b[o + 1]] + DEC_DOT[b[o + 2]] + DEC[b[o + 3]];
  v4Keys[slot] = key;
  v4Text[slot] = text;
  return text;
}

/**
 * `a.b.c.d/len` for 4 address bytes and a prefix length: the same text as
 * formatIPv4 + '/' + len, made as one string joining a cached `a.b.c.` and a
 * shared `d/len`. A route dump lists neighbours in order, so the routes of a
 * /24 share their `a.b.c.`; a big table then holds one small string per
 * route where plain concatenation leaves three.
 */
export function formatIPv4Prefix(b: Uint8Array, o: number, len: number): string {
  const key = (b[o] << 16) | (b[o + 1] << 8) | b[o + 2];
  if (key !== lastHeadKey) {
    lastHeadKey = key;
    lastHead = DEC_DOT[b[o]] + DEC_DOT[b[o + 1]] + DEC_DOT[b[o + 2]];
  }
  const tails = (PREFIX_TAILS[len] ??= DEC.map((d) => `${d}/${len}`));
  return lastHead + tails[b[o + 3]];
}
let lastHeadKey = -1;
let lastHead = '';
/** Per prefix length (0..255, as rtmsg carries it), the 256 texts `d/len`, made on first use. */
const PREFIX_TAILS: (string[] | undefined)[] = [];

/** IPv6 text in RFC 5952 form (lowercase, longest zero run compressed), like iproute2 prints. */
export function formatIPv6(b: Uint8Array, o: number): string {
  const g = new Array<number>(8);
  for (let i = 0; i < 8; i++) g[i] = (b[o + 2 * i] << 8) | b[o + 2 * i + 1];
  // IPv4-mapped addresses read better with the dotted tail, as inet_ntop prints them.
  if (g[0] === 0 && g[1] === 0 && g[2] === 0 && g[3] === 0 && g[4] === 0 && g[5] === 0xffff) {
    return '::ffff:' + formatIPv4(b, o + 12);
  }
  let bestStart = -1, bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (g[i] !== 0) { i++; continue; }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen) { bestStart = i; bestLen = j - i; }
    i = j;
  }
  if (bestStart < 0) return g.map((x) => x.toString(16)).join(':');
  const head = g.slice(0, bestStart).map((x) => x.toString(16)).join(':');
  const tail = g.slice(bestStart + bestLen).map((x) => x.toString(16)).join(':');
  return head + '::' + tail;
}

/** Dotted-quad text to 4 bytes; undefined if it is not exactly that (no leading zeros, each part 0..255). */
export function parseIPv4(text: string): Uint8Array | undefined {
  const out = new Uint8Array(4);
  let part = 0, value = 0, digits = 0;
  for (let i = 0; i <= text.length; i++) {
    const c = i < text.length ? text.charCodeAt(i) : 46; // a final '.' closes the last part
    if (c >= 48 && c <= 57) {
      if (digits > 0 && value === 0) return undefined; // leading zero
      value = value * 10 + (c - 48);
      if (++digits > 3 || value > 255) return undefined;
    } else if (c === 46) {
      if (digits === 0 || part > 3) return undefined;
      out[part++] = value;
      value = 0;
      digits = 0;
    } else {
      return undefined;
    }
  }
  return part === 4 ? out : undefined;
}

export function parseIPv6(text: string): Uint8Array | undefined {
  if (!/^[0-9a-fA-F:.]+$/.test(text) || text.length > 45) return undefined;
  let groups: string[];
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const left = halves[0] ? halves[0].split(':') : [];
  const right = halves.length === 2 && halves[1] ? halves[1].split(':') : [];
  // An embedded IPv4 tail counts as two groups. It is the last 32 bits or
  // nothing: in `1.2.3.4::` (what follows the :: is empty) it is not (iproute2
  // and inet_pton refuse it too).
  const tailSrc = halves.length === 2 ? right : left;
  let v4: Uint8Array | undefined;
  if (tailSrc.length && tailSrc[tailSrc.length - 1].includes('.')) {
    v4 = parseIPv4(tailSrc.pop()!);
    if (!v4) return undefined;
    tailSrc.push(((v4[0] << 8) | v4[1]).toString(16), ((v4[2] << 8) | v4[3]).toString(16));
  }
  if (halves.length === 2) {
    const missing = 8 - left.length - right.length;
    if (missing < 1) return undefined;
    groups = [...left, ...new Array<string>(missing).fill('0'), ...right];
  } else {
    groups = left;
  }
  if (groups.length !== 8) return undefined;
  const out = new Uint8Array(16);
  for (let i = 0; i < 8; i++) {
    if (!/^[0-9a-fA-F]{1,4}$/.test(groups[i])) return undefined;
    const n = parseInt(groups[i], 16);
    out[2 * i] = n >> 8;
    out[2 * i + 1] = n & 0xff;
  }
  return out;
}

/** An IPv4 or IPv6 address in text, as 4 or 16 bytes. */
export function parseIP(text: string): Uint8Array {
  const bytes = text.includes(':') ? parseIPv6(text) : parseIPv4(text);
  if (!bytes) throw new EncodeError(`not an IP address: ${quote(text)}`);
  return bytes;
}

const utf8 = new TextDecoder('utf-8', { fatal: false });
const utf8enc = new TextEncoder();

/**
 * Short ASCII strings seen recently, by a hash of their bytes: a dump repeats
 * the same few (qdisc "noqueue", kind "veth", label "lo") in every message,
 * and a list call holding 10,000 links then holds one copy of each, not 10,000.
 */
const TEXT_CACHE_SIZE = 256;
const textCache: (string | undefined)[] = new Array(TEXT_CACHE_SIZE).fill(undefined);

/** Decode ASCII fast (names are ASCII in practice); fall back to UTF-8 otherwise. */
export function decodeText(b: Uint8Array, off: number, end: number): string {
  const n = end - off;
  if (n === 0) return '';
  if (n < 32) {
    // The slot: length, first, middle and last byte (no loop); a hit is checked byte by byte.
    const slot = (n * 31 + b[off] * 7 + b[off + (n >> 1)] * 3 + b[end - 1]) & (TEXT_CACHE_SIZE - 1);
    const cached = textCache[slot];
    if (cached !== undefined && cached.length === n && sameText(cached, b, off)) return cached;
    for (let i = off; i < end; i++) if (b[i] >= 0x80) return utf8.decode(b.subarray(off, end));
    // Eight characters per call: a name of up to 8 is one allocation, not one string per character.
    let s = ascii8(b, off, n < 8 ? n : 8);
    for (let i = off + 8; i < end; i += 8) s += ascii8(b, i, end - i < 8 ? end - i : 8);
    textCache[slot] = s;
    return s;
  }
  return utf8.decode(b.subarray(off, end));
}

/** n (1..8) ASCII bytes from b[o] as one string. */
function ascii8(b: Uint8Array, o: number, n: number): string {
  const c = String.fromCharCode;
  switch (n) {
    case 1: return c(b[o]);
    case 2: return c(b[o], b[o + 1]);
    case 3: return c(b[o], b[o + 1], b[o + 2]);
    case 4: return c(b[o], b[o + 1], b[o + 2], b[o + 3]);
    case 5: return c(b[o], b[o + 1], b[o + 2], b[o + 3], b[o + 4]);
    case 6: return c(b[o], b[o + 1], b[o + 2], b[o + 3], b[o + 4], b[o + 5]);
    case 7: return c(b[o], b[o + 1], b[o + 2], b[o + 3], b[o + 4], b[o + 5], b[o + 6]);
    default: return c(b[o], b[o + 1], b[o + 2], b[o + 3], b[o + 4], b[o + 5], b[o + 6], b[o + 7]);
  }
}

function sameText(s: string, b: Uint8Array, off: number): boolean {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) !== b[off + i]) return false;
  return true;
}

export const encodeText = (s: string): Uint8Array => utf8enc.encode(s);
