// Attributes a table does not declare are kept, not dropped: the decoder
// puts each under `#<type with flags>` as its raw bytes, in wire order, and
// encoding the object gives the captured bytes back. Real captures only:
// the kernel's extended-ACK policy (NL_POLICY_TYPE_ATTR_*, whose table we
// leave empty on purpose), IFLA_PROTINFO in the AF_BRIDGE form the IFLA
// table keeps raw, and every attribute of every fixture read with tables
// that know none or only some of them.

import assert from 'node:assert/strict';
import {
  RTNETLINK, NLMSG_HDRLEN, Writer, align4, attrs, cstring, u32, decodeAttrs, decodeMessages, encodeAttrs, encodeMessages,
  u16At, u32At, type ErrorMessage, type Message,
} from '../../src/netlink/index.js';
import { loadFixtures, bytesOf, fixture, repliesOf } from '../support/fixtures.js';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

/** The attributes in b[off, end) as [`#type`, payload hex], read directly from the bytes. */
function wireAttrs(b: Uint8Array, off: number, end: number): [string, string][] {
  const out: [string, string][] = [];
  while (end - off >= 4) {
    const len = u16At(b, off);
    assert.ok(len >= 4 && off + len <= end, `bad attribute at ${off}`);
    out.push([`#${u16At(b, off + 2)}`, hex(b.subarray(off + 4, off + len))]);
    off += align4(len);
  }
  return out;
}

/** A decoded object's attributes in key order, repeats (arrays) flattened, as [key, payload hex]. */
function keptRaw(o: Record<string, unknown>): [string, string][] {
  return Object.entries(o).flatMap(([k, v]) => (Array.isArray(v) ? v : [v]).map((x) => [k, hex(x as Uint8Array)] as [string, string]));
}

/** Does b[off, end) read as a whole run of attributes? */
function looksNested(b: Uint8Array, off: number, end: number): boolean {
  if (end - off < 4) return false;
  while (off < end) {
    if (end - off < 4) return false;
    const len = u16At(b, off);
    if (len < 4 || off + len > end) return false;
    off += align4(len);
  }
  return true;
}

/** Attribute areas of every captured message: each message's, and every payload inside that reads as attributes. */
function attributeAreas(): { where: string; b: Uint8Array; off: number; end: number }[] {
  const areas: { where: string; b: Uint8Array; off: number; end: number }[] = [];
  for (const f of loadFixtures()) {
    f.messages.forEach((m, i) => {
      if (m.role === 'other') return;
      const b = bytesOf(m);
      for (let off = 0; off + NLMSG_HDRLEN <= b.length;) {
        const len = u32At(b, off);
        if (len < NLMSG_HDRLEN) break;
        const layout = RTNETLINK.layouts.get(u16At(b, off + 4));
        if (layout) {
          const inner = (from: number, end: number, where: string, depth: number): void => {
            areas.push({ where, b, off: from, end });
            for (let p = from; end - p >= 4;) {
              const l = u16At(b, p);
              if (depth < 8 && looksNested(b, p + 4, p + l)) inner(p + 4, p + l, `${where}/${u16At(b, p + 2)}`, depth + 1);
              p += align4(l);
            }
          };
          inner(off + NLMSG_HDRLEN + align4(layout.header.size), off + len, `${f.name}[${i}]@${off} ${layout.table.name}`, 0);
        }
        off += align4(len);
      }
    });
  }
  return areas;
}

describe('unknown attributes are kept as #N raw bytes, and encode back to the same bytes', () => {
  it('the kernel\'s extended-ACK policy nest (NL_POLICY_TYPE_ATTR_*, an empty table on purpose) keeps every attribute', () => {
    const reply = repliesOf(fixture('error-link-altname-too-long')).find((b) => u16At(b, 4) === 2)!;
    const [e] = decodeMessages(reply, RTNETLINK) as ErrorMessage[];
    const policy = e.extack?.policy as Record<string, unknown> | undefined;
    assert.ok(policy, `no extack.policy: ${JSON.stringify(Object.keys(e.extack ?? {}))}`);
    // The nest as the kernel wrote it, found by walking the extended ACK's bytes.
    const echoed = e.request.payload ? align4(e.request.len) : NLMSG_HDRLEN; // capped: the header alone
    let off = NLMSG_HDRLEN + 4 + echoed;
    let nest: [number, number] | undefined;
    for (const end = u32At(reply, 0); end - off >= 4; off += align4(u16At(reply, off))) {
      if ((u16At(reply, off + 2) & 0x3fff) === 4) nest = [off + 4, off + u16At(reply, off)];
    }
    assert.ok(nest, 'the reply has an NLMSGERR_ATTR_POLICY');
    const wire = wireAttrs(reply, nest[0], nest[1]);
    assert.ok(wire.length >= 2, `policy attributes: ${JSON.stringify(wire)}`);
    assert.deepEqual(keptRaw(policy), wire, 'every policy attribute, in wire order, as its bytes');
    assert.equal(hex(encodeMessages([e], RTNETLINK)), hex(reply.subarray(0, u32At(reply, 0))));
  });

  it('IFLA_PROTINFO flagged NLA_F_NESTED (an AF_BRIDGE port, from `bridge link show`) stays #32780, byte for byte', () => {
    const replies = repliesOf(fixture('link-dump-bridge-family'));
    let seen = 0;
    for (const d of replies) {
      for (const m of decodeMessages(d, RTNETLINK) as Message[]) {
        const a = (m as { attrs?: Record<string, unknown> }).attrs;
        if (!a || a['#32780'] === undefined) continue;
        seen++;
        const at = NLMSG_HDRLEN + 16; // ifinfomsg
        const wire = wireAttrs(d, at, u32At(d, 0)).filter(([k]) => k === '#32780');
        assert.deepEqual(keptRaw({ '#32780': a['#32780'] }), wire);
      }
      const again = encodeMessages(decodeMessages(d, RTNETLINK), RTNETLINK);
      assert.equal(hex(again), hex(d.subarray(0, again.length)));
    }
    assert.equal(seen, 1, 'one bridge port (va0) in the dump');
  });

  const areas = attributeAreas();

  it(`the fixtures hold many attribute areas to read (${areas.length})`, () => {
    assert.ok(areas.length > 500, String(areas.length));
  });

  it('read with a table that declares nothing, every attribute of every captured area is #N, in wire order, and encodes back', () => {
    const NONE = attrs('NONE', {});
    for (const { where, b, off, end } of areas) {
      const got = decodeAttrs(NONE, b, off, end);
      const wire = wireAttrs(b, off, end);
      // A type that repeats is one key holding an array: compare per key, then the bytes.
      const sort = (x: [string, string][]) => [...x].sort((p, q) => (p[0] === q[0] ? 0 : p[0] < q[0] ? -1 : 1));
      assert.deepEqual(sort(keptRaw(got as Record<string, unknown>)), sort(wire), where);
      const w = new Writer(end - off + 64);
      encodeAttrs(w, NONE, got);
      assert.equal(hex(w.buf.subarray(0, w.pos)), hex(b.subarray(off, end)), where);
    }
  });

  it('read with a table that knows only IFLA_IFNAME and IFLA_MTU, a link keeps all its other attributes raw, in place', () => {
    const FEW = attrs('IFLA_FEW', { ifname: [3, cstring], mtu: [4, u32] });
    let links = 0;
    for (const { where, b, off, end } of areas) {
      if (!where.endsWith(' IFLA')) continue;
      const got = decodeAttrs(FEW, b, off, end);
      const wire = wireAttrs(b, off, end);
      assert.deepEqual(Object.keys(got).filter((k) => k.startsWith('#')), [...new Set(wire.map(([k]) => k).filter((k) => k !== '#3' && k !== '#4'))], where);
      if (typeof got.ifname === 'string') links++;
      const w = new Writer(end - off + 64);
      encodeAttrs(w, FEW, got);
      assert.equal(hex(w.buf.subarray(0, w.pos)), hex(b.subarray(off, end)), where);
    }
    assert.ok(links > 20, `links read: ${links}`);
  });
});
