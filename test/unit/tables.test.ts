// The rtnetlink attribute tables (link kinds, addresses, routes, neighbours,
// namespace ids) against real traffic: the working samples in
// test/unit/samples/*.jsonl were captured from iproute2 6.1 and a 6.18 kernel
// by samples/capture.sh. Every datagram must decode with a registered layout,
// every attribute of the tables under test must be known (no `#N` raw keys),
// and encoding the decoded messages must give back the very same bytes.

import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import {
  Writer, decodeMessages, encodeMessages, decodeAttrs, encodeAttrs, RTNETLINK,
  RTM_NEWLINK, RTM_NEWADDR, RTM_NEWROUTE, RTM_NEWNEIGH, RTM_NEWNSID, RTM_NEWNEIGHTBL, NLMSG_ERROR,
  linkKind, RTA, multipath, bridgeId, portRange, flagOrU8, ipvlanMode,
  IFA_F_NODAD, IFA_F_PERMANENT, IFA_F_SECONDARY, NUD_PERMANENT, NTF_SELF, RT_TABLE_MAIN, RTPROT_STATIC,
  ICMPV6_ROUTER_PREF_HIGH, ETH_P_8021AD, VLAN_FLAG_REORDER_HDR, VLAN_FLAG_GVRP, VLAN_FLAG_LOOSE_BINDING,
  IPVLAN_F_PRIVATE, MACVLAN_MACADDR_ADD, BR_STATE_FORWARDING,
  type Message, type LayoutMessage as TypedLayoutMessage, type ErrorMessage,
} from '../../src/netlink/index.js';
import { repoRoot } from '../support/fixtures.js';

/** These tests read kind data by key: a layout message whose header and attributes are taken as they come. */
type LayoutMessage = TypedLayoutMessage<any, any>;

const SAMPLES = join(repoRoot, 'test', 'unit', 'samples');
const RTM_FIRST = 16;
const RTM_LAST = 127;

interface Datagram { dir: 'send' | 'recv'; bytes: Uint8Array }

function sample(name: string): Datagram[] {
  return readFileSync(join(SAMPLES, `${name}.jsonl`), 'utf8')
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => {
      const { dir, hex } = JSON.parse(line) as { dir: 'send' | 'recv'; hex: string };
      return { dir, bytes: new Uint8Array(Buffer.from(hex, 'hex')) };
    });
}

const sampleNames = (): string[] => readdirSync(SAMPLES).filter((f) => f.endsWith('.jsonl')).map((f) => f.slice(0, -'.jsonl'.length)).sort();

/** Every message of a sample, with the direction of the datagram it came in. */
function messages(name: string, dir?: 'send' | 'recv'): Message[] {
  return sample(name).filter((d) => !dir || d.dir === dir).flatMap((d) => decodeMessages(d.bytes, RTNETLINK));
}

const withLayout = (ms: Message[], type: number): LayoutMessage[] =>
  ms.filter((m): m is LayoutMessage => m.type === type && 'header' in m);

/** `#N` keys anywhere under a decoded value, as paths. */
function rawKeys(value: unknown, path = ''): string[] {
  if (value === null || typeof value !== 'object' || value instanceof Uint8Array) return [];
  const out: string[] = [];
  for (const [key, v] of Object.entries(value)) {
    if (key.startsWith('#')) out.push(`${path}.${key}`);
    out.push(...rawKeys(v, `${path}.${key}`));
  }
  return out;
}

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

/** The link named `ifname` in the kernel's link dump sample. */
function dumpedLink(ifname: string): LayoutMessage {
  const link = withLayout(messages('link-show', 'recv'), RTM_NEWLINK).find((m) => m.attrs.ifname === ifname);
  assert.ok(link, `no link ${ifname} in the link-show sample`);
  return link;
}

/** The one RTM_NEWLINK request of a sample. */
function linkRequest(name: string): LayoutMessage {
  const reqs = withLayout(messages(name, 'send'), RTM_NEWLINK).filter((m) => m.attrs.linkinfo);
  assert.equal(reqs.length, 1, `${name}: expected one RTM_NEWLINK request with IFLA_LINKINFO`);
  return reqs[0];
}

describe('rtnetlink tables: captured samples', () => {
  it('has the samples', () => {
    assert.ok(sampleNames().length >= 20, `only ${sampleNames().length} samples in ${SAMPLES}`);
  });

  for (const name of sampleNames()) {
    it(`${name}: every datagram decodes to registered layouts and encodes back to the same bytes`, () => {
      for (const [i, d] of sample(name).entries()) {
        const ms = decodeMessages(d.bytes, RTNETLINK);
        assert.ok(ms.length > 0, `datagram ${i} decoded to nothing`);
        for (const m of ms) {
          if (m.type >= RTM_FIRST && m.type <= RTM_LAST) {
            assert.ok(!('payload' in m), `datagram ${i}: RTM type ${m.type} fell back to raw payload`);
          }
        }
        const again = encodeMessages(ms, RTNETLINK);
        // iproute2 sends its whole zeroed request buffer: past the last message there are only zeros.
        assert.ok(d.bytes.subarray(again.length).every((x) => x === 0), `datagram ${i}: non-zero bytes after the last message`);
        assert.equal(hex(again), hex(d.bytes.subarray(0, again.length)), `datagram ${i} (${d.dir}) re-encoded differently`);
      }
    });
  }

  it('knows every attribute the kernel and iproute2 sent in the data of the kinds we decode', () => {
    let checked = 0;
    for (const name of sampleNames()) {
      for (const m of withLayout(messages(name), RTM_NEWLINK)) {
        const info = m.attrs.linkinfo;
        if (!info || info.data === undefined || !linkKind(info.kind)) continue;
        assert.ok(!(info.data instanceof Uint8Array), `${name}: ${info.kind} data stayed raw bytes`);
        assert.deepEqual(rawKeys(info.data), [], `${name}: unknown ${info.kind} attributes`);
        checked++;
      }
    }
    assert.ok(checked >= 15, `only ${checked} kind payloads checked`);
  });

  it('knows every attribute of the address, route, neighbour, neighbour table and nsid messages', () => {
    const types = new Set([RTM_NEWADDR, RTM_NEWADDR + 1, RTM_NEWADDR + 2, RTM_NEWROUTE, RTM_NEWROUTE + 1, RTM_NEWROUTE + 2,
      RTM_NEWNEIGH, RTM_NEWNEIGH + 1, RTM_NEWNEIGH + 2, RTM_NEWNEIGHTBL, RTM_NEWNSID, RTM_NEWNSID + 1, RTM_NEWNSID + 2]);
    const seen = new Set<number>();
    for (const name of sampleNames()) {
      for (const m of messages(name)) {
        if (!types.has(m.type) || !('header' in m)) continue;
        seen.add(m.type);
        assert.deepEqual(rawKeys(m.attrs), [], `${name}: unknown attributes in a type ${m.type} message`);
      }
    }
    for (const t of [RTM_NEWADDR, RTM_NEWROUTE, RTM_NEWNEIGH, RTM_NEWNEIGHTBL, RTM_NEWNSID]) assert.ok(seen.has(t), `no type ${t} message in the samples`);
  });
});

describe('rtnetlink tables: link kinds', () => {
  it('vxlan (IPv4): VNI, ports, addresses, source port range and the GBP flag', () => {
    const data = dumpedLink('vx0').attrs.linkinfo.data;
    assert.equal(data.id, 42);
    assert.equal(data.port, 4789);
    assert.equal(data.group, '10.0.0.9');
    assert.equal(data.local, '10.0.0.1');
    assert.deepEqual(data.portRange, { low: 5000, high: 6000 });
    assert.equal(data.gbp, true);
    assert.equal(data.ttl, 64);
    assert.equal(data.tos, 0x10);
    assert.equal(data.ageing, 120);
    assert.equal(data.learning, 1);
    assert.equal(data.link, dumpedLink('va0').header.index);
    assert.equal(data.reservedBits.length, 8);
  });

  it('vxlan (IPv6): group6/local6, flow label, and TTL_INHERIT as a flag in the request and a u8 in the reply', () => {
    const data = dumpedLink('vx6').attrs.linkinfo.data;
    assert.equal(data.id, 4242);
    assert.equal(data.port, 4790);
    assert.equal(data.group6, 'ff05::100');
    assert.equal(data.local6, '2001:db8::1');
    assert.equal(data.label, 0x12345);
    assert.equal(data.ttlInherit, 1);
    assert.equal(data.learning, 0);
    assert.equal(data.udpZeroCsum6Tx, 1);
    assert.equal(data.udpZeroCsum6Rx, 1);
    const req = linkRequest('link-add-vxlan6').attrs.linkinfo.data;
    assert.equal(req.ttlInherit, true);
    assert.equal(req.label, 0x12345);
    assert.equal(req.port, 4790);
  });

  it('macvlan and macvtap: mode names, the source-mode MAC list, and a macaddr request', () => {
    assert.equal(dumpedLink('mv0').attrs.linkinfo.data.mode, 'bridge');
    const tap = dumpedLink('mvt0').attrs.linkinfo;
    assert.equal(tap.kind, 'macvtap');
    assert.equal(tap.data.mode, 'vepa');
    const src = dumpedLink('mvs0').attrs.linkinfo.data;
    assert.equal(src.mode, 'source');
    assert.equal(src.macaddrCount, 2);
    assert.deepEqual([...src.macaddrData.macaddr].sort(), ['02:00:00:00:aa:01', '02:00:00:00:aa:02']);
    assert.equal(linkRequest('link-add-macvlan').attrs.linkinfo.data.mode, 'bridge');
    const set = linkRequest('link-set-macvlan-macaddr').attrs.linkinfo.data;
    assert.deepEqual(set, { macaddrMode: MACVLAN_MACADDR_ADD, macaddr: '02:00:00:00:aa:02' });
  });

  it('bridge: times, masks, the bridge id with its big-endian priority', () => {
    const data = dumpedLink('br0').attrs.linkinfo.data;
    assert.equal(data.forwardDelay, 500);
    assert.equal(data.stpState, 0);
    assert.equal(data.mcastSnooping, 1);
    assert.equal(data.groupFwdMask, 0x4000);
    assert.equal(data.priority, 0x8000);
    assert.equal(data.bridgeId.prio, 0x8000);
    assert.equal(data.bridgeId.addr, dumpedLink('br0').attrs.address);
    assert.equal(data.groupAddr, '01:80:c2:00:00:00');
    assert.deepEqual(Object.keys(data.multiBoolopt), ['optval', 'optmask']);
    const req = linkRequest('link-add-bridge').attrs.linkinfo.data;
    assert.deepEqual(req, { stpState: 0, mcastSnooping: 1, forwardDelay: 500, groupFwdMask: 0x4000 });
  });

  it('bridge port (slave data): the kernel\'s IFLA_BRPORT_* and iproute2\'s bridge_slave request', () => {
    const info = dumpedLink('vp0').attrs.linkinfo;
    assert.equal(info.slaveKind, 'bridge');
    const port = info.slaveData;
    assert.deepEqual(rawKeys(port), []);
    assert.equal(port.cost, 7);
    assert.equal(port.priority, 9);
    assert.equal(port.learning, 0);
    assert.equal(port.state, BR_STATE_FORWARDING);
    assert.equal(port.bridgeId.prio, 0x8000);

    const reqInfo = linkRequest('link-set-bridge-slave').attrs.linkinfo;
    assert.equal(reqInfo.kind, 'bridge_slave');
    assert.deepEqual(reqInfo.slaveData, { learning: 0, cost: 7, priority: 9 });
  });

  it('vlan (absent from this kernel): the request iproute2 sends decodes fully and encodes back', () => {
    const req = linkRequest('link-add-vlan');
    const data = req.attrs.linkinfo.data;
    assert.deepEqual(rawKeys(data), []);
    assert.equal(data.id, 10);
    assert.equal(data.protocol, '802.1ad'); // ETH_P_8021AD, by iproute2's name
    const all = VLAN_FLAG_REORDER_HDR | VLAN_FLAG_GVRP | VLAN_FLAG_LOOSE_BINDING;
    assert.deepEqual(data.flags, { flags: all, mask: all });
    assert.deepEqual(data.egressQos, { mapping: [{ from: 1, to: 2 }, { from: 3, to: 4 }] });
    assert.deepEqual(data.ingressQos, { mapping: [{ from: 2, to: 5 }] });
    const err = messages('link-add-vlan', 'recv').find((m): m is ErrorMessage => m.type === NLMSG_ERROR && (m as ErrorMessage).request.seq === req.seq);
    assert.ok(err, 'no answer to the vlan request');
    assert.equal(err.error, -95); // EOPNOTSUPP: no 8021q here
  });

  it('ipvlan (absent from this kernel): mode name and flags of the request', () => {
    const data = linkRequest('link-add-ipvlan').attrs.linkinfo.data;
    assert.deepEqual(data, { mode: 'l3s', flags: IPVLAN_F_PRIVATE });
  });
});

describe('rtnetlink tables: addresses, routes, neighbours, nsids', () => {
  it('addresses: IPv4 label and broadcast, secondary flag, IPv6 text, lifetimes, peer', () => {
    const addrs = withLayout(messages('addr-show', 'recv'), RTM_NEWADDR);
    const v4 = addrs.find((m) => m.attrs.local === '10.0.0.1');
    assert.ok(v4);
    assert.equal(v4.header.prefixlen, 24);
    assert.equal(v4.attrs.label, 'va0:main');
    assert.equal(v4.attrs.broadcast, '10.0.0.255');
    const secondary = addrs.find((m) => m.attrs.local === '10.0.0.7');
    assert.ok(secondary && secondary.attrs.flags & IFA_F_SECONDARY);
    const v6 = addrs.find((m) => m.attrs.address === '2001:db8::1');
    assert.ok(v6);
    assert.equal(v6.header.family, 10);
    assert.equal(v6.header.prefixlen, 64);
    assert.equal(v6.attrs.flags, IFA_F_NODAD | IFA_F_PERMANENT);
    const timed = addrs.find((m) => m.attrs.address === '2001:db8:1::1');
    assert.ok(timed);
    assert.ok(timed.attrs.cacheinfo.valid <= 3600 && timed.attrs.cacheinfo.valid > 3000);
    assert.ok(timed.attrs.cacheinfo.prefered <= 1800 && timed.attrs.cacheinfo.prefered > 1200);
    const peer = addrs.find((m) => m.attrs.local === '192.0.2.1');
    assert.equal(peer?.attrs.address, '192.0.2.2');
    const req = withLayout(messages('addr-add6', 'send'), RTM_NEWADDR)[0];
    assert.equal(req.attrs.address, '2001:db8::1');
  });

  it('routes: IPv4 and IPv6 multipath next hops, metrics, table ids, expiry and preference', () => {
    const routes = withLayout(messages('route-show', 'recv'), RTM_NEWROUTE);
    const mp = routes.find((m) => m.attrs.dst === '10.9.0.0');
    assert.ok(mp);
    assert.equal(mp.header.dstLen, 16);
    assert.equal(mp.attrs.table, RT_TABLE_MAIN);
    const va0 = dumpedLink('va0').header.index;
    assert.deepEqual(mp.attrs.multipath, [
      { flags: 0, hops: 0, ifindex: va0, attrs: { gateway: '10.0.0.2' } },
      { flags: 0, hops: 2, ifindex: va0, attrs: { gateway: '10.0.1.2' } },
    ]);
    const metric = routes.find((m) => m.attrs.dst === '10.8.0.0');
    assert.ok(metric);
    assert.equal(metric.attrs.table, 100);
    assert.equal(metric.header.protocol, RTPROT_STATIC);
    assert.equal(metric.attrs.priority, 20);
    assert.deepEqual(metric.attrs.metrics, { mtu: 1400, window: 65535, advmss: 1360, ccAlgo: 'cubic' });

    const routes6 = withLayout(messages('route6-show', 'recv'), RTM_NEWROUTE);
    const mp6 = routes6.find((m) => m.attrs.dst === '2001:db8:9::');
    assert.ok(mp6);
    assert.deepEqual(mp6.attrs.multipath.map((nh: any) => [nh.hops, nh.attrs.gateway]), [[0, '2001:db8::2'], [1, '2001:db8:1::2']]);
    const expiring = routes6.find((m) => m.attrs.dst === '2001:db8:8::');
    assert.ok(expiring);
    assert.equal(expiring.attrs.pref, ICMPV6_ROUTER_PREF_HIGH);
    assert.ok(expiring.attrs.cacheinfo.expires > 0);

    const req = withLayout(messages('route-add-multipath', 'send'), RTM_NEWROUTE)[0];
    assert.deepEqual(req.attrs.multipath.map((nh: any) => [nh.hops, nh.attrs.gateway]), [[0, '10.0.0.2'], [2, '10.0.1.2']]);
    const req6 = withLayout(messages('route6-add-expires', 'send'), RTM_NEWROUTE)[0];
    assert.equal(req6.attrs.expires, 600);
    assert.equal(req6.attrs.pref, ICMPV6_ROUTER_PREF_HIGH);
  });

  it('neighbours: a permanent ARP and ND entry, and a VXLAN fdb entry with port and VNI', () => {
    const neigh = withLayout(messages('neigh-show', 'recv'), RTM_NEWNEIGH);
    const arp = neigh.find((m) => m.attrs.dst === '10.0.0.2');
    assert.ok(arp);
    assert.equal(arp.attrs.lladdr, '02:00:00:00:00:02');
    assert.equal(arp.header.state, NUD_PERMANENT);
    assert.equal(Object.keys(arp.attrs.cacheinfo).length, 4);
    const nd = withLayout(messages('neigh6-show', 'recv'), RTM_NEWNEIGH).find((m) => m.attrs.dst === '2001:db8::2');
    assert.equal(nd?.attrs.lladdr, '02:00:00:00:00:06');

    const fdb = withLayout(messages('fdb-show', 'recv'), RTM_NEWNEIGH);
    const remote = fdb.find((m) => m.attrs.dst === '10.0.0.10');
    assert.ok(remote);
    assert.equal(remote.header.family, 7); // AF_BRIDGE
    assert.ok(remote.header.flags & NTF_SELF);
    assert.equal(remote.attrs.port, 4790);
    assert.equal(remote.attrs.vni, 100);
    assert.equal(remote.attrs.ifindex, dumpedLink('va0').header.index);
    const req = withLayout(messages('fdb-append', 'send'), RTM_NEWNEIGH)[0];
    assert.deepEqual(req.attrs, { lladdr: '00:00:00:00:00:00', dst: '10.0.0.10', port: 4790, vni: 100, ifindex: dumpedLink('va0').header.index });
  });

  it('neighbour tables: config, stats and parameters', () => {
    const tables = withLayout(messages('ntable-show', 'recv'), RTM_NEWNEIGHTBL);
    const arp = tables.find((m) => m.attrs.name === 'arp_cache' && m.attrs.config);
    assert.ok(arp);
    assert.equal(arp.attrs.config.keyLen, 4);
    assert.ok(arp.attrs.stats.lookups >= 0);
    assert.equal(arp.attrs.parms.baseReachableTime, 30000);
  });

  it('nsids: the list and the set request', () => {
    const ids = withLayout(messages('nsid-show', 'recv'), RTM_NEWNSID).map((m) => m.attrs.nsid);
    assert.ok(ids.includes(7), `nsids ${ids}`);
    const req = withLayout(messages('nsid-set', 'send'), RTM_NEWNSID)[0];
    assert.equal(req.attrs.nsid, 7);
    assert.equal(typeof req.attrs.fd, 'number');
  });
});

describe('rtnetlink tables: payloads we cannot reproduce stay raw', () => {
  const roundTrip = (table: any, bytes: Uint8Array): any => {
    const decoded = decodeAttrs(table, bytes, 0, bytes.length);
    const w = new Writer();
    encodeAttrs(w, table, decoded);
    assert.equal(hex(w.take()), hex(bytes));
    return decoded;
  };

  it('RTA_MULTIPATH with a short, unaligned or overlong rtnh_len', () => {
    // gateway 10.0.0.2 inside a next hop of 16 bytes, then 4 stray bytes
    const nh = [0x10, 0, 0, 0, 2, 0, 0, 0, 8, 0, 5, 0, 10, 0, 0, 2];
    for (const payload of [[...nh, 1, 2, 3, 4], [0x06, 0, 0, 0, 2, 0, 0, 0], [0x0a, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0], [0x20, 0, 0, 0, 2, 0, 0, 0]]) {
      const attr = new Uint8Array([4 + payload.length, 0, 9, 0, ...payload]);
      const decoded = roundTrip(RTA, attr);
      assert.ok(decoded['#9'], `payload ${payload} should stay raw`);
    }
    const ok = roundTrip(RTA, new Uint8Array([20, 0, 9, 0, ...nh]));
    assert.deepEqual(ok.multipath, [{ flags: 0, hops: 0, ifindex: 2, attrs: { gateway: '10.0.0.2' } }]);
    assert.equal(multipath.name, 'rtnexthop[]');
  });

  it('short struct payloads (bridge id, port range), odd-sized flags and enums', () => {
    const RAW_OK = (codec: any, bytes: number[]) => typeof codec.decode(new Uint8Array(bytes), 0, bytes.length, 0, {}) === 'symbol';
    assert.ok(RAW_OK(bridgeId, [0x80, 0, 1, 2, 3, 4, 5]));
    assert.ok(RAW_OK(portRange, [0x13, 0x88]));
    assert.ok(RAW_OK(flagOrU8, [1, 0]));
    assert.ok(RAW_OK(ipvlanMode, [1]));
    assert.equal(ipvlanMode.decode(new Uint8Array([7, 0]), 0, 2, 0, {}), 7);
    const longer = bridgeId.decode(new Uint8Array([0x80, 0, 2, 0, 0, 0, 0, 1, 9, 9]), 0, 10, 0, {});
    assert.deepEqual(longer, { prio: 0x8000, addr: '02:00:00:00:00:01', extra: new Uint8Array([9, 9]) });
    const w = new Writer();
    bridgeId.encode(w, longer as any, {});
    assert.equal(hex(w.take()), '800002000000000109' + '09');
  });

  it('kind names that are Object.prototype members find no layout', () => {
    assert.equal(linkKind('constructor'), undefined);
    assert.equal(linkKind('toString'), undefined);
  });
});
