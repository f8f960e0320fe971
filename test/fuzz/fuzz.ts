// Fuzzing the decoder: mutated, truncated, spliced and random buffers built
// from the golden fixtures. The only error decoding may throw is DecodeError;
// whatever decodes must encode again without throwing.

import { decodeMessages, encodeMessages, DecodeError, RTNETLINK } from '../../src/netlink/index.js';
import { loadFixtures, bytesOf } from '../support/fixtures.js';

/** A small seeded PRNG (mulberry32): the same seed gives the same run. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface FuzzResult {
  seed: number;
  cases: number;
  decoded: number;
  rejected: number;
  failures: { input: string; error: string }[];
}

export function fuzz(seed: number, cases: number): FuzzResult {
  const rand = prng(seed);
  const int = (n: number) => Math.floor(rand() * n);
  const corpus = loadFixtures().flatMap((f) => f.messages.map(bytesOf));
  const pick = () => corpus[int(corpus.length)];
  const mutators: ((b: Uint8Array) => Uint8Array)[] = [
    (b) => { const c = b.slice(); for (let k = 1 + int(4); k > 0; k--) c[int(c.length)] ^= 1 << int(8); return c; },
    (b) => { const c = b.slice(); for (let k = 1 + int(4); k > 0; k--) c[int(c.length)] = int(256); return c; },
    (b) => b.slice(0, int(b.length + 1)),
    (b) => { // break a 16-bit length or type field with an edge value
      const c = b.slice(); const at = int(Math.max(1, c.length - 1)) & ~1;
      const v = [0, 1, 3, 4, 5, 0xffff, 0x8000, 0x4000][int(8)];
      c[at] = v & 0xff; if (at + 1 < c.length) c[at + 1] = v >> 8; return c;
    },
    (b) => { const c = b.slice(); if (c.length >= 4) { const v = [0, 15, 16, 17, 0xffffffff][int(5)]; c[0] = v; c[1] = v >> 8; c[2] = v >> 16; c[3] = v >>> 24; } return c; },
    (b) => { const o = pick(); const c = new Uint8Array(b.length + o.length); c.set(b); c.set(o, b.length); return c; },
    (b) => { const c = new Uint8Array(b.length + int(64)); c.set(b); for (let i = b.length; i < c.length; i++) c[i] = int(256); return c; },
    () => { const c = new Uint8Array(int(512)); for (let i = 0; i < c.length; i++) c[i] = int(256); return c; },
  ];
  const result: FuzzResult = { seed, cases, decoded: 0, rejected: 0, failures: [] };
  for (let i = 0; i < cases; i++) {
    let input = pick();
    for (let k = 1 + int(3); k > 0; k--) input = mutators[int(mutators.length)](input);
    try {
      const messages = decodeMessages(input, RTNETLINK);
      result.decoded++;
      encodeMessages(messages, RTNETLINK);
    } catch (e) {
      if (e instanceof DecodeError) { result.rejected++; continue; }
      if (result.failures.length < 10) result.failures.push({ input: Buffer.from(input).toString('hex'), error: String((e as Error)?.stack ?? e) });
    }
  }
  return result;
}
