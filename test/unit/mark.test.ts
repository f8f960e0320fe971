// The ownership mark (src/wire/mark.ts): its text, and where it sits in the
// requests that create and complete a pair. The kernel ignores IFLA_IFALIAS
// in a creation, so the creation carries the pair's link group (IFLA_GROUP,
// outer and inside VETH_INFO_PEER) and the alias goes, in the same send, on
// the links of that group; these tests pin those bytes.

import assert from 'node:assert/strict';
import { RTNETLINK, decodeMessages, encodeMessages, requestBytes, u16At, u32At } from '../../src/netlink/index.js';
import { completeMark, formatMark, isMarkGroup, markGroup, newPairId, parseMark, pendingMark } from '../../src/wire/mark.js';
import { completeRequest, createPairRequest, markEndRequest, markGroupRequest, planConnect } from '../../src/wire/plan.js';
import { check, endSpec } from '../../src/rules/index.js';

const ID = '0123456789abcdef';
const CREATOR = { pid: 4242, start: 123456, pidns: 4026531836 };
const IFLA_IFNAME = 3;
const IFLA_LINKINFO = 18;
const IFLA_IFALIAS = 20;
const IFLA_GROUP = 27;
const IFLA_NET_NS_FD = 28;
const IFLA_INFO_DATA = 2;
const VETH_INFO_PEER = 1;
const IFINFOMSG_SIZE = 16;
const NLA_TYPE_MASK = 0x3fff;

/** The attributes in bytes[from, to): type -> [value offset, value length]. */
function attrsAt(b: Uint8Array, from: number, to: number): Map<number, [number, number]> {
  const out = new Map<number, [number, number]>();
  for (let p = from; p + 4 <= to;) {
    const len = u16At(b, p);
    out.set(u16At(b, p + 2) & NLA_TYPE_MASK, [p + 4, len - 4]);
    p += (len + 3) & ~3;
  }
  return out;
}

const topAttrs = (b: Uint8Array) => attrsAt(b, 16 + IFINFOMSG_SIZE, u32At(b, 0));
const text = (b: Uint8Array, [off, len]: [number, number]) => Buffer.from(b.subarray(off, off + len)).toString('utf8');

const ends = () => [
  check(endSpec, { ns: { type: 'netns', name: 'a' }, ifname: 't0', addresses: ['10.60.0.1/24'] }, 'end 1'),
  check(endSpec, { ns: { type: 'netns', name: 'b' }, ifname: 't1', addresses: ['10.60.0.2/24'], mtu: 9000 }, 'end 2'),
] as const;

describe('the ownership mark', () => {
  describe('its text', () => {
    it('pending: vethcon:v1:ID:pending:pid=P:start=S:pidns=N, and back', () => {
      const t = pendingMark(ID, CREATOR);
      assert.equal(t, 'vethcon:v1:0123456789abcdef:pending:pid=4242:start=123456:pidns=4026531836');
      assert.deepEqual(parseMark(t), { id: ID, pending: CREATOR, fields: {} });
    });

    it('complete: vethcon:v1:ID, and back', () => {
      assert.equal(completeMark(ID), 'vethcon:v1:0123456789abcdef');
      assert.deepEqual(parseMark(completeMark(ID)), { id: ID, fields: {} });
    });

    it('labs can add lab= and link= fields; a reader keeps fields it does not know', () => {
      const t = completeMark(ID, { lab: 'web-tier', link: '3' });
      assert.equal(t, 'vethcon:v1:0123456789abcdef:lab=web-tier:link=3');
      assert.deepEqual(parseMark(`${t}:zone=eu-1`), { id: ID, fields: { lab: 'web-tier', link: '3', zone: 'eu-1' } });
      assert.deepEqual(parseMark(pendingMark(ID, CREATOR, { lab: 'x' }))?.fields, { lab: 'x' });
    });

    it('is at most 255 bytes (an alias holds no more), and refuses what it cannot write', () => {
      assert.throws(() => completeMark(ID, { lab: 'x'.repeat(240) }), /at most 255/);
      assert.ok(Buffer.byteLength(completeMark(ID, { lab: 'x'.repeat(200) })) <= 255);
      assert.throws(() => completeMark(ID, { lab: 'a:b' }), /cannot be written/);
      assert.throws(() => completeMark(ID, { pid: '1' }), /cannot be written/);
      assert.throws(() => completeMark('xyz'), /16 hex/);
    });

    it('is not read from other aliases, other versions or broken pending fields', () => {
      for (const alias of [undefined, '', 'my uplink', 'vethcon', 'vethcon:v2:0123456789abcdef', 'vethcon:v1:0123', 'vethcon:v1:0123456789ABCDEF',
        'vethcon:v1:0123456789abcdef:pending', 'vethcon:v1:0123456789abcdef:pending:pid=x:start=1:pidns=1', 'vethcon:v1:0123456789abcdef:oops']) {
        assert.equal(parseMark(alias), undefined, String(alias));
      }
    });

    it('new ids are 16 hex digits; the pair group is 0x76 over the id\'s first 24 bits', () => {
      assert.match(newPairId(), /^[0-9a-f]{16}$/);
      assert.notEqual(newPairId(), newPairId());
      assert.equal(markGroup(ID), 0x76012345);
      assert.ok(isMarkGroup(0x76012345));
      assert.ok(!isMarkGroup(0) && !isMarkGroup(1) && !isMarkGroup(undefined));
    });

    it('a thousand new ids in a row (several draws of random bytes) are all 16 hex digits and all different', () => {
      const ids = Array.from({ length: 1000 }, newPairId);
      for (const id of ids) assert.match(id, /^[0-9a-f]{16}$/);
      assert.equal(new Set(ids).size, ids.length);
    });
  });

  describe('in the requests', () => {
    it('the creation puts both ends in the pair group: IFLA_GROUP outside, and inside VETH_INFO_PEER beside IFLA_NET_NS_FD', () => {
      const [a, b] = ends();
      const bytes = requestBytes(createPairRequest(a, b, 7, markGroup(ID)), RTNETLINK, 1, 0);
      const top = topAttrs(bytes);
      const [gOff, gLen] = top.get(IFLA_GROUP)!;
      assert.equal(gLen, 4);
      assert.equal(u32At(bytes, gOff), 0x76012345);
      assert.equal(text(bytes, top.get(IFLA_IFNAME)!).replace(/\0$/, ''), 't0');
      assert.equal(top.has(IFLA_IFALIAS), false, 'no alias in a creation: the kernel ignores it there');
      const [liOff, liLen] = top.get(IFLA_LINKINFO)!;
      const [dOff, dLen] = attrsAt(bytes, liOff, liOff + liLen).get(IFLA_INFO_DATA)!;
      const [pOff, pLen] = attrsAt(bytes, dOff, dOff + dLen).get(VETH_INFO_PEER)!;
      const peer = attrsAt(bytes, pOff + IFINFOMSG_SIZE, pOff + pLen);
      assert.deepEqual([...peer.keys()], [4 /* IFLA_MTU */, IFLA_NET_NS_FD, IFLA_GROUP, IFLA_IFNAME]);
      assert.equal(u32At(bytes, peer.get(IFLA_GROUP)![0]), 0x76012345);
      assert.equal(u32At(bytes, peer.get(IFLA_NET_NS_FD)![0]), 7);
    });

    it('the veth creation still round-trips: decoded, then encoded again to the same bytes', () => {
      const [a, b] = ends();
      const bytes = requestBytes(createPairRequest(a, b, 7, markGroup(ID)), RTNETLINK, 9, 0);
      const msgs = decodeMessages(bytes, RTNETLINK);
      assert.equal(Buffer.from(encodeMessages(msgs, RTNETLINK)).toString('hex'), Buffer.from(bytes).toString('hex'));
      const attrs = (msgs[0] as unknown as { attrs: Record<string, any> }).attrs;
      assert.equal(attrs.group, 0x76012345);
      assert.deepEqual(attrs.linkinfo.data.peer.attrs, { mtu: 9000, netNsFd: 7, group: 0x76012345, ifname: 't1' });
    });

    it('the pending mark goes on the group: ifindex 0, no name, IFLA_GROUP then IFLA_IFALIAS (the text, no NUL)', () => {
      const mark = pendingMark(ID, CREATOR);
      const bytes = requestBytes(markGroupRequest(markGroup(ID), mark), RTNETLINK, 1, 0);
      assert.equal(u32At(bytes, 16 + 4), 0, 'ifi_index 0: the kernel selects the links by group');
      const top = topAttrs(bytes);
      assert.deepEqual([...top.keys()], [IFLA_GROUP, IFLA_IFALIAS]);
      assert.equal(u32At(bytes, top.get(IFLA_GROUP)![0]), 0x76012345);
      assert.equal(top.get(IFLA_IFALIAS)![1], Buffer.byteLength(mark));
      assert.equal(text(bytes, top.get(IFLA_IFALIAS)!), mark);
      const peer = topAttrs(requestBytes(markEndRequest(5, mark), RTNETLINK, 1, 0));
      assert.deepEqual([...peer.keys()], [IFLA_IFALIAS]);
    });

    it('completion: one RTM_NEWLINK per end, up (the peer), back in group 0, the complete mark', () => {
      const bytes = requestBytes(completeRequest(5, completeMark(ID), true), RTNETLINK, 1, 0);
      assert.equal(u16At(bytes, 4), 16);
      assert.equal(u32At(bytes, 16 + 4), 5);
      assert.equal(u32At(bytes, 16 + 8) & 1, 1, 'IFF_UP in ifi_flags');
      const top = topAttrs(bytes);
      assert.equal(u32At(bytes, top.get(IFLA_GROUP)![0]), 0);
      assert.equal(text(bytes, top.get(IFLA_IFALIAS)!), 'vethcon:v1:0123456789abcdef');
      assert.equal(u32At(requestBytes(completeRequest(5, completeMark(ID)), RTNETLINK, 1, 0), 16 + 12), 0, 'our end: no IFF_UP change');
    });

    it('the dry run shows the marking steps, the completion last', () => {
      const [a, b] = ends();
      const steps = planConnect(a, b).map((s) => `${s.netns}: ${s.action}`);
      assert.match(steps[0], /^netns a: create veth t0 \(up\) with peer t1 placed directly in netns b, both in the pair's link group/);
      assert.match(steps[1], /^netns a: mark the links of that group as ours, pending/);
      assert.match(steps[2], /^netns b: mark t1 as ours, pending/);
      assert.match(steps.at(-2)!, /^netns b: set t1 up, marked complete/);
      assert.match(steps.at(-1)!, /^netns a: mark t0 complete/);
    });
  });
});
