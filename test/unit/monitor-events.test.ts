// vc.monitor()'s events from real notifications: test/unit/samples/
// monitor-link-address.jsonl is what the kernel sent `ip monitor link address`
// (captured by samples/capture-monitor.sh) while a namespace got a veth
// va0/vb0, set va0 up, added 10.200.1.1/24 and 2001:db8:1::1/64 (nodad),
// deleted the IPv4 address and then the veth. Also: the rtnetlink group
// numbers, the groups each kind of event joins, the `monitor` command line.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  decodeMessages, RTNETLINK, RTNLGRP_LINK, RTNLGRP_NEIGH, RTNLGRP_IPV4_IFADDR, RTNLGRP_IPV4_ROUTE, RTNLGRP_IPV6_IFADDR,
  RTNLGRP_IPV6_ROUTE, RTNLGRP_NSID, RTNLGRP_NEXTHOP, RTNLGRP_STATS, RTNLGRPS_IFADDR, type Message,
} from '../../src/netlink/index.js';
import { MONITOR, describeEvent, groupsFor, toMonitorEvent, type MonitorEvent } from '../../src/api/monitor-events.js';
import { toAddress, toLink } from '../../src/api/convert.js';
import { parseArgs, UsageError } from '../../src/cli/args.js';
import { HELP } from '../../src/cli/help.js';
import { repoRoot, loadFixtures, bytesOf } from '../support/fixtures.js';

const SAMPLE = join(repoRoot, 'test', 'unit', 'samples', 'monitor-link-address.jsonl');

/** The captured notification datagrams, in the order the kernel sent them. */
function datagrams(): Uint8Array[] {
  return readFileSync(SAMPLE, 'utf8').split('\n').filter((l) => l.startsWith('{'))
    .map((l) => new Uint8Array(Buffer.from(JSON.parse(l).hex, 'hex')));
}

const NS = 'netns red';
const events = (names?: Map<number, string>): MonitorEvent[] =>
  datagrams().flatMap((d) => decodeMessages(d, MONITOR)).map((m) => toMonitorEvent(NS, m, names && ((i) => names.get(i))))
    .filter((e): e is MonitorEvent => e !== undefined);

describe('monitor events from captured notifications', () => {
  it('has the capture: ten notifications, one per datagram', () => {
    const ds = datagrams();
    assert.equal(ds.length, 10);
    for (const d of ds) assert.equal(decodeMessages(d, RTNETLINK).length, 1);
  });

  it('turns each into the event it is, in the order sent', () => {
    assert.deepEqual(events().map((e) => e.type), [
      'link-new', 'link-new', // the veth's two ends
      'link-new', // va0 up
      'address-new', 'address-new', // 10.200.1.1/24, 2001:db8:1::1/64
      'address-del', // 10.200.1.1/24 deleted
      'link-new', 'address-del', 'link-del', 'link-del', // link del: va0 goes down (and loses its IPv6 address), then both ends go
    ]);
  });

  it('carries the link as the library lists it', () => {
    const [vb0, va0, up] = events() as Extract<MonitorEvent, { link: unknown }>[];
    assert.equal(vb0.netns, NS);
    assert.deepEqual(
      { ifname: vb0.link.ifname, kind: vb0.link.kind, address: vb0.link.address, up: vb0.link.up, mtu: vb0.link.mtu },
      { ifname: 'vb0', kind: 'veth', address: '02:00:00:00:00:02', up: false, mtu: 1500 },
    );
    assert.equal(va0.link.ifname, 'va0');
    assert.equal(va0.link.link, vb0.link.ifindex, "va0's IFLA_LINK is its peer");
    assert.equal(up.link.up, true);
    assert.ok(up.link.flags.includes('NO-CARRIER'), 'its peer is down: no carrier');
  });

  it('carries the address as the library lists it, named by the caller', () => {
    const names = new Map([[3, 'va0']]);
    const adds = events(names).filter((e) => e.type === 'address-new') as Extract<MonitorEvent, { address: unknown }>[];
    assert.deepEqual(adds.map((e) => [e.address.cidr, e.address.family, e.ifname]), [
      ['10.200.1.1/24', 'inet', 'va0'],
      ['2001:db8:1::1/64', 'inet6', 'va0'],
    ]);
    assert.equal(adds[0].address.label, 'va0');
    assert.deepEqual(adds[1].address.flags, ['nodad', 'permanent']);
    // Without a name for the ifindex there is no ifname key (not even undefined).
    const unnamed = events(new Map()).find((e) => e.type === 'address-new')!;
    assert.ok(!('ifname' in unnamed));
  });

  it('decodes, through the projection, to what the full rtnetlink decoding gives', () => {
    const full = datagrams().flatMap((d) => decodeMessages(d, RTNETLINK)) as Message[];
    const projected = events();
    assert.equal(projected.length, full.length);
    full.forEach((m, i) => {
      const e = projected[i];
      if ('link' in e) assert.deepEqual(e.link, toLink(m));
      else if ('address' in e) assert.deepEqual(e.address, toAddress(m));
      else assert.fail(`event ${i} is ${e.type}`);
    });
  });

  it("skips a bridge port's AF_BRIDGE copy of a link message, and other message types", () => {
    const copy = datagrams()[0].slice();
    copy[16] = 7; // ifi_family: AF_BRIDGE
    assert.equal(toMonitorEvent(NS, decodeMessages(copy, MONITOR)[0]), undefined);
    const route = loadFixtures().find((f) => f.name === 'route-dump-ipv6')!;
    const routeMessages = route.messages.filter((m) => m.role === 'reply').flatMap((m) => decodeMessages(bytesOf(m), MONITOR));
    assert.ok(routeMessages.length > 0);
    for (const m of routeMessages) assert.equal(toMonitorEvent(NS, m), undefined);
  });

  it('dump replies have the layout of events: the link and address dump fixtures convert too', () => {
    for (const name of ['link-dump', 'addr-dump']) {
      const f = loadFixtures().find((x) => x.name === name)!;
      const ms = f.messages.filter((m) => m.role === 'reply').flatMap((m) => decodeMessages(bytesOf(m), MONITOR)).filter((m) => m.type === 16 || m.type === 20);
      assert.ok(ms.length >= 4, `${name}: only ${ms.length} messages`);
      for (const m of ms) {
        const e = toMonitorEvent(NS, m)!;
        assert.equal(e.type, m.type === 16 ? 'link-new' : 'address-new');
      }
    }
  });

  it('says each in one line', () => {
    const names = new Map([[3, 'va0']]);
    assert.deepEqual(events(names).map(describeEvent), [
      'netns red: link vb0 (ifindex 2, veth) down, mtu 1500',
      'netns red: link va0 (ifindex 3, veth) down, mtu 1500',
      'netns red: link va0 (ifindex 3, veth) up (no carrier), mtu 1500',
      'netns red: address 10.200.1.1/24 added on va0',
      'netns red: address 2001:db8:1::1/64 added on va0',
      'netns red: address 10.200.1.1/24 deleted from va0',
      'netns red: link va0 (ifindex 3, veth) down, mtu 1500',
      'netns red: address 2001:db8:1::1/64 deleted from va0',
      'netns red: link va0 (ifindex 3, veth) deleted',
      'netns red: link vb0 (ifindex 2, veth) deleted',
    ]);
    assert.match(describeEvent({ netns: NS, type: 'overrun' }), /^netns red: events were lost/);
    assert.equal(describeEvent({ ...(events()[3] as Extract<MonitorEvent, { address: unknown }>) }), 'netns red: address 10.200.1.1/24 added on ifindex 3');
  });

  it('events are plain JSON: they survive a round trip unchanged', () => {
    for (const e of events(new Map([[3, 'va0']]))) assert.deepEqual(JSON.parse(JSON.stringify(e)), e);
  });
});

describe('rtnetlink groups', () => {
  it('has the numbers of linux/rtnetlink.h', () => {
    assert.deepEqual(
      [RTNLGRP_LINK, RTNLGRP_NEIGH, RTNLGRP_IPV4_IFADDR, RTNLGRP_IPV4_ROUTE, RTNLGRP_IPV6_IFADDR, RTNLGRP_IPV6_ROUTE, RTNLGRP_NSID, RTNLGRP_NEXTHOP, RTNLGRP_STATS],
      [1, 3, 5, 7, 9, 11, 28, 32, 36],
    );
    assert.deepEqual(RTNLGRPS_IFADDR, [5, 9]);
  });

  it('each kind of event joins its groups', () => {
    assert.deepEqual(groupsFor(['link']), [1]);
    assert.deepEqual(groupsFor(['address']), [5, 9]);
    assert.deepEqual(groupsFor(['link', 'address']), [1, 5, 9]);
  });
});

describe('vethcon monitor: arguments', () => {
  it('takes no target (the current namespace), or any number of -n/-p/-a/-c, and --json', () => {
    assert.deepEqual(parseArgs(['monitor']), { action: 'monitor', netns: [], json: false });
    assert.deepEqual(parseArgs(['monitor', '-n', 'red', '-nblue', '-p', '42', '-a', '/run/netns/x', '-c', '--json']), {
      action: 'monitor', netns: [{ name: 'red' }, { name: 'blue' }, { pid: 42 }, { path: '/run/netns/x' }, { current: true }], json: true,
    });
    assert.deepEqual(parseArgs(['monitor', '--help']), { action: 'help' });
  });

  it('refuses what it does not take, as a usage error', () => {
    for (const argv of [['monitor', '-n'], ['monitor', '-p', 'x'], ['monitor', '-p', '0'], ['monitor', '-d', 'c1'], ['monitor', 'red'], ['monitor', '-n', '--json']]) {
      assert.throws(() => parseArgs(argv), UsageError, argv.join(' '));
    }
  });

  it('is in --help', () => {
    assert.match(HELP, /vethcon monitor \[-n NETNS\]\.\.\. \[-p PID\]\.\.\. \[--json\]/);
  });
});
