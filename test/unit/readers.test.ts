// The dump readers (src/api/readers.ts) read links and routes straight from
// their bytes. They must give exactly what the general way gives (decode
// with the summary tables, then convert.ts): the same Route or Link, or the
// same error. Checked on every captured link and route message (fixtures and
// samples) and on mutations of them, with a fixed seed.
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { decodeMessages, messageLength, u16At, formatIPv4, formatIPv4Prefix } from '../../src/netlink/index.js';
import { readLink, readRoute } from '../../src/api/readers.js';
import { decodeText } from '../../src/netlink/bytes.js';
import { toLink, toRoute } from '../../src/api/convert.js';
import { SUMMARY } from '../../src/api/summary.js';
import { loadFixtures, bytesOf, repoRoot } from '../support/fixtures.js';
import { prng } from '../fuzz/fuzz.js';
import type { LayoutMessage } from '../../src/netlink/index.js';

const RTM_NEWLINK = 16;
const RTM_NEWROUTE = 24;

/** Every datagram we have from real traffic: the golden fixtures and the table samples. */
function datagrams(): Uint8Array[] {
  const out = loadFixtures().flatMap((f) => f.messages.map(bytesOf));
  const dir = join(repoRoot, 'test', 'unit', 'samples');
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.jsonl'))) {
    for (const line of readFileSync(join(dir, file), 'utf8').split('\n')) {
      if (line.startsWith('{')) out.push(new Uint8Array(Buffer.from(JSON.parse(line).hex, 'hex')));
    }
  }
  return out;
}

/** Each message of the given type, copied out on its own. */
function messagesOf(type: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (const d of datagrams()) {
    for (let off = 0; off + 16 <= d.length;) {
      let len: number;
      try { len = messageLength(d, off, d.length); } catch { break; }
      if (u16At(d, off + 4) === type) out.push(d.slice(off, off + len));
      off += (len + 3) & ~3;
    }
  }
  return out;
}

type Outcome = { value: unknown } | { error: string };
function outcome(f: () => unknown): Outcome {
  try {
    return { value: f() };
  } catch (e) {
    return { error: `${(e as Error).constructor.name}: ${(e as Error).message}` };
  }
}

const general = (to: (m: LayoutMessage) => unknown) => (b: Uint8Array): unknown => to(decodeMessages(b, SUMMARY, 0, b.length)[0] as LayoutMessage);

/** The [offset, length] of each top-level attribute after a fixed header of `hdr` bytes. */
function attributes(b: Uint8Array, hdr: number): [number, number][] {
  const out: [number, number][] = [];
  for (let p = 16 + hdr; p + 4 <= b.length;) {
    const n = u16At(b, p);
    if (n < 4 || p + n > b.length) break;
    out.push([p, n]);
    p += (n + 3) & ~3;
  }
  return out;
}

/** b with bytes `insert` put in at `at` after removing `remove` bytes there. */
function splice(b: Uint8Array, at: number, remove: number, insert: Uint8Array): Uint8Array {
  const c = new Uint8Array(b.length - remove + insert.length);
  c.set(b.subarray(0, at)); c.set(insert, at); c.set(b.subarray(at + remove), at + insert.length);
  return c;
}

/**
 * Mutations, attribute-aware where it matters: a repeated attribute, an
 * attribute one or four bytes longer or shorter, flag bits on its type,
 * flipped and random bytes, truncation. The message's own length field is
 * kept equal to its length, as the socket hands messages over.
 */
function mutants(seed: number, originals: Uint8Array[], hdr: number, count: number): Uint8Array[] {
  const rand = prng(seed);
  const int = (n: number) => Math.floor(rand() * n);
  const out: Uint8Array[] = [];
  for (let i = 0; i < count; i++) {
    const o = originals[int(originals.length)];
    const list = attributes(o, hdr);
    const [at, n] = list.length ? list[int(list.length)] : [16, 0];
    let c: Uint8Array;
    switch (list.length ? int(7) : 5 + int(2)) {
      case 0: case 1: { // repeated, with another value, at the end or in place (the first one counts)
        const copy = o.slice(at, at + ((n + 3) & ~3));
        if (n > 4) copy[4 + int(n - 4)] ^= 1 << int(8);
        c = splice(o, int(2) ? o.length : at, 0, copy); break;
      }
      case 2: { // longer or shorter payload
        const d = [-4, -1, 1, 4][int(4)];
        const size = Math.max(4, n + d);
        const a = new Uint8Array((size + 3) & ~3); a.set(o.subarray(at, at + Math.min(n, size)));
        a[0] = size & 0xff; a[1] = size >> 8;
        c = splice(o, at, (n + 3) & ~3, a); break;
      }
      case 3: c = o.slice(); c[at + 3] |= [0x80, 0x40][int(2)]; break; // NLA_F_NESTED / NLA_F_NET_BYTEORDER
      case 4: c = o.slice(); for (let k = 1 + int(3); k > 0; k--) c[at + int(n)] ^= 1 << int(8); break;
      case 5: c = o.slice(0, 16 + int(o.length - 15)); break;
      default: c = o.slice(); c[16 + int(c.length - 16)] = int(256);
    }
    c[0] = c.length & 0xff; c[1] = (c.length >> 8) & 0xff; c[2] = 0; c[3] = 0;
    out.push(c);
  }
  return out;
}

for (const [what, type, hdr, read, to] of [
  ['routes', RTM_NEWROUTE, 12, readRoute, toRoute],
  ['links', RTM_NEWLINK, 16, readLink, toLink],
] as const) {
  describe(`dump reader for ${what}`, () => {
    const originals = messagesOf(type);
    const slow = general(to as (m: LayoutMessage) => unknown);
    const fast = (b: Uint8Array) => (read as (b: Uint8Array, off: number, len: number) => unknown)(b, 0, b.length);

    it(`gives what decoding and converting give, for every captured message (${originals.length})`, () => {
      assert.ok(originals.length >= 10, `only ${originals.length} captured messages`);
      for (const b of originals) assert.deepStrictEqual(outcome(() => fast(b)), outcome(() => slow(b)), Buffer.from(b).toString('hex'));
    });

    it('says DecodeError, not TypeError, for a message shorter than its fixed header', () => {
      const cut = originals[0].slice(0, 20);
      cut.set([cut.length, 0, 0, 0], 0);
      assert.throws(() => fast(cut), (e: Error) => e.name === 'DecodeError' && /does not hold a/.test(e.message));
    });

    it('gives the same result or the same error for 40,000 mutations of them (fixed seed)', () => {
      let values = 0, errors = 0;
      for (const b of mutants(type, originals, hdr, 40_000)) {
        const want = outcome(() => slow(b));
        assert.deepStrictEqual(outcome(() => fast(b)), want, Buffer.from(b).toString('hex'));
        if ('value' in want) values++; else errors++;
      }
      assert.ok(values > 10_000 && errors > 1_000, `values ${values}, errors ${errors}`);
    });
  });
}

describe('dump reader for links: IFLA_LINKINFO read in place', () => {
  it('gives what decoding gives when the nested kind is changed, flagged, repeated, cut or joined by more (fixed seed)', () => {
    const rand = prng(23);
    const int = (n: number) => Math.floor(rand() * n);
    const withInfo = messagesOf(RTM_NEWLINK).filter((b) => attributes(b, 16).some(([at]) => u16At(b, at + 2) === 18));
    assert.ok(withInfo.length >= 10, `only ${withInfo.length} captured links with IFLA_LINKINFO`);
    const slow = general(toLink);
    let checked = 0;
    for (let i = 0; i < 20_000; i++) {
      const o = withInfo[int(withInfo.length)];
      const [at, n] = attributes(o, 16).find(([a]) => u16At(o, a + 2) === 18)!;
      let inner = o.slice(at + 4, at + n);
      const innerN = inner.length >= 4 ? u16At(inner, 0) : 0;
      switch (int(6)) {
        case 0: if (inner.length > 4) inner[4 + int(Math.min(8, inner.length - 4))] = int(256); break; // the kind's bytes
        case 1: if (inner.length >= 4) inner[3] |= [0x80, 0x40][int(2)]; break; // flag bits on its type
        case 2: inner = Uint8Array.from([...inner, ...inner.subarray(0, (innerN + 3) & ~3)]); break; // kind twice
        case 3: inner = inner.slice(0, Math.max(0, inner.length - 1 - int(4))); break; // cut
        case 4: if (inner.length >= 4) { const m = Math.max(4, innerN + [-1, 1, -4][int(3)]); inner[0] = m & 0xff; inner[1] = m >> 8; } break; // its length
        default: inner = Uint8Array.from([...inner, 8, 0, 5, 0, 1, 2, 3, 4]); // another attribute after it
      }
      const outer = new Uint8Array((4 + inner.length + 3) & ~3);
      outer.set(inner, 4);
      outer[0] = (4 + inner.length) & 0xff; outer[1] = (4 + inner.length) >> 8; outer[2] = 18;
      const c = splice(o, at, (n + 3) & ~3, outer);
      c[0] = c.length & 0xff; c[1] = (c.length >> 8) & 0xff; c[2] = 0; c[3] = 0;
      assert.deepStrictEqual(outcome(() => readLink(c, 0, c.length)), outcome(() => slow(c)), Buffer.from(c).toString('hex'));
      checked++;
    }
    assert.equal(checked, 20_000);
  });
});

describe('formatIPv4Prefix', () => {
  it('gives formatIPv4 + "/" + len for every prefix length and varied addresses, in and out of order', () => {
    const rand = prng(7);
    const b = new Uint8Array(4);
    for (let i = 0; i < 20_000; i++) {
      // Runs of neighbours (as a dump lists them) and jumps.
      if (i % 50 === 0) for (let k = 0; k < 4; k++) b[k] = Math.floor(rand() * 256);
      else b[3] = (b[3] + 1) & 255;
      const len = Math.floor(rand() * 256);
      assert.equal(formatIPv4Prefix(b, 0, len), `${formatIPv4(b, 0)}/${len}`);
    }
  });
});

describe('decodeText', () => {
  it("gives what Buffer's UTF-8 decoding gives, for every length up to 40, ASCII and not, cached and not", () => {
    const rand = prng(11);
    const seen: Uint8Array[] = [];
    for (let i = 0; i < 20_000; i++) {
      // Mostly fresh ASCII names; some repeats (the cache's hit path); some with bytes >= 0x80.
      let b: Uint8Array;
      if (seen.length > 0 && i % 5 === 0) b = seen[Math.floor(rand() * seen.length)];
      else {
        const n = Math.floor(rand() * 41);
        b = Uint8Array.from({ length: n }, () => (i % 7 === 0 ? Math.floor(rand() * 256) : 32 + Math.floor(rand() * 95)));
        if (seen.length < 500) seen.push(b);
      }
      const padded = new Uint8Array(b.length + 6);
      padded.set(b, 3);
      assert.equal(decodeText(padded, 3, 3 + b.length), Buffer.from(b).toString('utf8'), `bytes ${Buffer.from(b).toString('hex')}`);
    }
  });
});
