// NLA_F_NESTED on objects built from scratch. A decoded object remembers the
// flag bits of each nest it came with (NLA_FLAGS), so decoding a fixture and
// encoding it back cannot tell whether our tables would set the flag on an
// object a caller builds: that is what these tests look at. Every captured
// iproute2 request and kernel reply is decoded, its flag memory thrown away
// (a "fresh" object, as a caller or a builder makes it), encoded again, and
// the flag bits of every attribute, path by path, must be the captured ones.

import assert from 'node:assert/strict';
import {
  NLA_FLAGS, NLMSG_HDRLEN, RTNETLINK, STR_NUL, align4, decodeMessages, encodeMessages, u16At, u32At,
  NLMSGERR, addAltname, addLink, type AttrTable, type Message,
} from '../../src/netlink/index.js';
import { loadFixtures, bytesOf, fixture, requestOf, type Fixture } from '../support/fixtures.js';

const NESTED = 0x8000;
const FLAG_BITS = 0xc000;

/**
 * The same value as a caller would build it: plain objects and arrays, no
 * memory of the flag bits it was decoded with. (What a string's terminator
 * was is kept: it is another memory, looked at by the golden round trips.)
 */
function fresh<T>(v: T): T {
  if (v === null || typeof v !== 'object' || v instanceof Uint8Array) return v;
  if (Array.isArray(v)) return v.map(fresh) as T;
  const out: Record<string | symbol, unknown> = {};
  for (const [k, x] of Object.entries(v)) out[k] = fresh(x);
  const nul = (v as Record<symbol, unknown>)[STR_NUL];
  if (nul) out[STR_NUL] = nul;
  return out as T;
}

/** Does b[off, end) read as a whole run of attributes? (Then it is walked as one.) */
function looksNested(b: Uint8Array, off: number, end: number): boolean {
  if (end - off < 4) return false;
  while (off < end) {
    if (end - off < 4) return false;
    const len = u16At(b, off);
    if (len < 4 || off + len > end) return false;
    off += align4(len);
  }
  return off === end;
}

/**
 * Every attribute of every message in a datagram as `type/attr/attr... flags`
 * (the flag bits in hex), descending into every payload that reads as
 * attributes. Walks both sides the same way, so the lists compare.
 */
function flagPaths(b: Uint8Array): string[] {
  const out: string[] = [];
  const walk = (off: number, end: number, path: string, depth: number): void => {
    while (end - off >= 4) {
      const len = u16At(b, off);
      if (len < 4 || off + len > end) return;
      const t = u16At(b, off + 2);
      const here = `${path}/${t & 0x3fff}`;
      out.push(`${here} ${(t & FLAG_BITS).toString(16)}`);
      if (depth < 8 && looksNested(b, off + 4, off + len)) walk(off + 4, off + len, here, depth + 1);
      off += align4(len);
    }
  };
  for (let off = 0; off + NLMSG_HDRLEN <= b.length;) {
    const len = u32At(b, off);
    if (len < NLMSG_HDRLEN) break;
    const type = u16At(b, off + 4);
    const layout = RTNETLINK.layouts.get(type);
    if (layout) walk(off + NLMSG_HDRLEN + align4(layout.header.size), off + len, String(type), 0);
    off += align4(len);
  }
  return out;
}

/** The captured datagrams of every fixture: requests (iproute2's) and replies (the kernel's). */
function captured(): { f: Fixture; i: number; role: string; bytes: Uint8Array }[] {
  return loadFixtures().flatMap((f) => f.messages.flatMap((m, i) => (m.role === 'other' ? [] : [{ f, i, role: m.role, bytes: bytesOf(m) }])));
}

/** The datagram's messages encoded again from fresh objects, and the bytes they stand for. */
function reencodeFresh(bytes: Uint8Array): { ours: Uint8Array; theirs: Uint8Array } {
  const messages = decodeMessages(bytes, RTNETLINK).map((m) => fresh(m) as Message);
  const ours = encodeMessages(messages, RTNETLINK);
  return { ours, theirs: bytes.subarray(0, ours.length) };
}

describe('NLA_F_NESTED on objects built from scratch (not remembered from decoding)', () => {
  const all = captured();

  it('the fixtures hold flagged nests in iproute2 requests and in kernel replies (else the tests below prove nothing)', () => {
    const flagged = new Set(all.flatMap(({ role, bytes }) => flagPaths(bytes).filter((p) => p.endsWith(` ${NESTED.toString(16)}`)).map((p) => `${role} ${p}`)));
    for (const p of [
      'request 108/52 8000', // RTM_NEWLINKPROP: IFLA_PROP_LIST (ip link property add)
      'request 109/52 8000', // RTM_DELLINKPROP: IFLA_PROP_LIST
      'reply 16/52 8000', // RTM_NEWLINK: IFLA_PROP_LIST (a link with an altname)
      'reply 16/18/2/47 8000', // IFLA_LINKINFO / IFLA_INFO_DATA / IFLA_BR_MCAST_QUERIER_STATE
      'reply 16/62 8000', // IFLA_DEVLINK_PORT
      'reply 16/65 8000', // IFLA_DPLL_PIN
    ]) assert.ok(flagged.has(p), `no captured ${p}; flagged: ${[...flagged].sort().join(', ')}`);
  });

  for (const { f, i, role, bytes } of all) {
    it(`${f.area}/${f.name} message ${i} (${role}): fresh objects encode with the captured flag bits on every attribute`, () => {
      const { ours, theirs } = reencodeFresh(bytes);
      assert.deepEqual(flagPaths(ours), flagPaths(theirs), 'flag bits per attribute path');
      assert.equal(Buffer.from(ours).toString('hex'), Buffer.from(theirs).toString('hex'));
    });
  }

  it('no nest the tables know is kept raw because its flag bits differ from the table\'s', () => {
    const rawNests: string[] = [];
    const visit = (o: unknown, table: AttrTable | undefined, path: string): void => {
      if (!o || typeof o !== 'object' || o instanceof Uint8Array) return;
      for (const [k, v] of Object.entries(o)) {
        if (k.startsWith('#') && table?.byType[Number(k.slice(1)) & 0x3fff]?.codec.table) rawNests.push(`${path}.${k}`);
        const inner = table?.byKey.get(k)?.codec.table?.();
        for (const x of Array.isArray(v) ? v : [v]) visit(x, inner, `${path}.${k}`);
      }
    };
    for (const { f, i, bytes } of all) {
      for (const m of decodeMessages(bytes, RTNETLINK)) {
        const layout = RTNETLINK.layouts.get(m.type);
        if (layout && 'attrs' in m) visit(m.attrs, layout.table, `${f.name}[${i}] ${layout.table.name}`);
        if ('extack' in m) visit(m.extack, NLMSGERR, `${f.name}[${i}] NLMSGERR`);
      }
    }
    assert.deepEqual(rawNests, []);
  });

  it('the builders set the flag themselves: addAltname is iproute2\'s request, byte for byte, and flags IFLA_PROP_LIST', () => {
    const expected = requestOf(fixture('link-property-add-altname'));
    const decoded = decodeMessages(expected, RTNETLINK)[0] as Message & { attrs: Record<symbol, unknown> };
    assert.equal(decoded.attrs[NLA_FLAGS], undefined, 'the table flags IFLA_PROP_LIST by itself: the decoded request needs no memory of it');
    const ours = encodeMessages([{ ...addAltname(3, 'vcfx-alt0'), seq: u32At(expected, 8), port: u32At(expected, 12) }], RTNETLINK);
    assert.ok(flagPaths(ours).includes('108/52 8000'), flagPaths(ours).join(', '));
    assert.equal(Buffer.from(ours).toString('hex'), Buffer.from(expected.subarray(0, ours.length)).toString('hex'));
  });

  it('and none where iproute2 sets none: a veth with its peer, a vxlan, a bridge with options (no NLA_F_NESTED anywhere)', () => {
    for (const [name, req] of [
      ['link-add-veth', addLink({ ifname: 'va0', kind: 'veth', peer: { ifname: 'vb0' } })],
      ['link-add-vxlan', addLink({ ifname: 'vx0', kind: 'vxlan', data: { link: 3, id: 42, local: '10.200.0.1', group: '10.200.0.2', learning: 1, port: 4789 } })],
      ['link-add-bridge-options', addLink({ ifname: 'br1', kind: 'bridge', data: { forwardDelay: 400, ageingTime: 30000, mcastSnooping: 0 } })],
    ] as const) {
      const expected = requestOf(fixture(name));
      const ours = encodeMessages([{ ...req, seq: u32At(expected, 8), port: u32At(expected, 12) }], RTNETLINK);
      assert.deepEqual(flagPaths(ours), flagPaths(expected.subarray(0, u32At(expected, 0))), name);
    }
  });
});
