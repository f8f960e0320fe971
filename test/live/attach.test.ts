// attach(), live: vxlan and macvlan ends made in named namespaces on a parent
// in another namespace, checked with `ip -j -d` (the independent oracle);
// traffic across a vxlan between two namespaces over an underlay the test
// makes (a veth between two vckind- namespaces); vlan refused by this
// kernel with nothing left; a failure after the creation undone. Every
// namespace is vckind-<hex>, made here and removed after.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { Vethcon } from '../../src/api/client.js';
import { attach, checkAttach } from '../../src/wire/attach.js';
import { disconnect } from '../../src/wire/disconnect.js';
import { ConflictError, NotFoundError, WiringError } from '../../src/wire/errors.js';
import { parseMark } from '../../src/wire/mark.js';
import { describeRequest } from '../../src/netlink/index.js';
import { ip, ipJson, requireRoot } from './live-helpers.js';

const made: string[] = [];
function netns(): string {
  const name = `vckind-${randomBytes(4).toString('hex')}`;
  ip('netns', 'add', name);
  made.push(name);
  ip('-n', name, 'link', 'set', 'lo', 'up');
  return name;
}

const names = (ns: string): string[] => ipJson<{ ifname: string }[]>('-n', ns, 'link', 'show').map((l) => l.ifname).sort();
const detail = (ns: string, dev: string): any => ipJson('-n', ns, '-d', 'link', 'show', 'dev', dev)[0];
const ping = (ns: string, to: string): string => execFileSync('ip', ['netns', 'exec', ns, 'busybox', 'ping', '-c', '2', '-W', '2', to], { encoding: 'utf8' });

describe('attach(): vxlan, macvlan and vlan ends (live, root)', function () {
  this.timeout(60_000);
  let vc: Vethcon;
  // The underlay: u1 in p1 (192.168.77.1) <-> u2 in p2 (192.168.77.2).
  let p1: string, p2: string;

  before(function () {
    requireRoot(this);
    vc = new Vethcon();
    p1 = netns();
    p2 = netns();
    ip('-n', p1, 'link', 'add', 'u1', 'type', 'veth', 'peer', 'name', 'u2', 'netns', p2);
    ip('-n', p1, 'addr', 'add', '192.168.77.1/24', 'dev', 'u1');
    ip('-n', p2, 'addr', 'add', '192.168.77.2/24', 'dev', 'u2');
    ip('-n', p1, 'link', 'set', 'u1', 'up');
    ip('-n', p2, 'link', 'set', 'u2', 'up');
  });

  after(async () => {
    await vc?.close();
    for (const n of made.splice(0)) {
      try { ip('netns', 'del', n); } catch { /* already gone */ }
    }
  });

  it('a vxlan end in each of two namespaces, on parents in two others: ping crosses it', async () => {
    const a = netns();
    const b = netns();
    const ra = await attach({ ns: { type: 'netns', name: a }, ifname: 'vx0', addresses: ['10.9.0.1/24'] },
      { kind: 'vxlan', parent: 'u1', parentNs: { type: 'netns', name: p1 }, remote: '192.168.77.2', id: 42 }, { client: vc });
    await attach({ ns: { type: 'netns', name: b }, ifname: 'vx0', addresses: ['10.9.0.2/24'], mtu: 1400 },
      { kind: 'vxlan', parent: 'u2', parentNs: { type: 'netns', name: p2 }, remote: '192.168.77.1', id: 42 }, { client: vc });
    assert.deepEqual(ra.options, { id: 42, remote: '192.168.77.2', learning: true, port: 4789 });
    assert.deepEqual(ra.parent, { endpoint: `netns ${p1}`, ifname: 'u1', ifindex: detail(p1, 'u1').ifindex });
    const l = detail(a, 'vx0');
    assert.equal(l.linkinfo.info_kind, 'vxlan');
    assert.equal(l.linkinfo.info_data.id, 42);
    assert.equal(l.linkinfo.info_data.remote, '192.168.77.2');
    assert.equal(l.linkinfo.info_data.port, 4789);
    assert.equal(l.link_netnsid !== undefined, true, 'its lower device is in another namespace');
    assert.ok(l.flags.includes('UP'));
    assert.equal(l.ifindex, ra.end.ifindex);
    assert.equal(l.group, 'default', 'out of the mark group once complete');
    assert.deepEqual(parseMark(l.ifalias), { id: ra.id, fields: {} });
    assert.equal(detail(b, 'vx0').mtu, 1400);
    assert.ok(ipJson('-n', a, 'addr', 'show', 'dev', 'vx0')[0].addr_info.some((x: { local: string }) => x.local === '10.9.0.1'));
    assert.match(ping(a, '10.9.0.2'), /2 packets received/);
    // Deleting an end of another kind by name, as -N does.
    await disconnect({ type: 'netns', name: a }, 'vx0', { client: vc });
    assert.deepEqual(names(a), ['lo']);
  });

  it('a macvlan end with MTU, MAC and a lab\'s mark fields', async () => {
    const a = netns();
    const r = await attach({ ns: { type: 'netns', name: a }, ifname: 'mv0', addresses: ['10.9.1.1/24', '2001:db8:9::1/64'], mtu: 1400, mac: '02:00:00:00:09:01' },
      { kind: 'macvlan', parent: 'u1', parentNs: { type: 'netns', name: p1 }, mode: 'bridge' }, { client: vc, mark: { lab: 'x', link: 'abc' } });
    const l = detail(a, 'mv0');
    assert.equal(l.linkinfo.info_kind, 'macvlan');
    assert.equal(l.linkinfo.info_data.mode, 'bridge');
    assert.equal(l.mtu, 1400);
    assert.equal(l.address, '02:00:00:00:09:01');
    assert.equal(l.ifalias, `vethcon:v1:${r.id}:lab=x:link=abc`);
    const addrs = ipJson('-n', a, 'addr', 'show', 'dev', 'mv0')[0].addr_info.map((x: { local: string }) => x.local);
    assert.ok(addrs.includes('10.9.1.1') && addrs.includes('2001:db8:9::1'), addrs.join(' '));
  });

  it('vlan: this kernel refuses it; the error says so and nothing is left', async () => {
    const a = netns();
    await assert.rejects(
      attach({ ns: { type: 'netns', name: a }, ifname: 'vl0', addresses: ['10.9.2.1/24'] }, { kind: 'vlan', parent: 'u1', parentNs: { type: 'netns', name: p1 }, id: 10 }, { client: vc }),
      (e: unknown) => e instanceof WiringError && /^cannot create vlan vl0 in netns vckind-\w+ on u1 of netns vckind-\w+: .*EOPNOTSUPP.*Unknown device type \(this kernel has no support for this kind of link\)$/.test((e as Error).message),
    );
    assert.deepEqual(names(a), ['lo']);
    assert.deepEqual(names(p1), ['lo', 'u1']);
  });

  it('a failure after the creation removes the link again, confirmed', async () => {
    const a = netns();
    await assert.rejects(
      attach({ ns: { type: 'netns', name: a }, ifname: 'vx1' }, { kind: 'vxlan', parent: 'u1', parentNs: { type: 'netns', name: p1 }, remote: '192.168.77.2', id: 7 }, {
        client: vc,
        afterCreate: async () => {
          assert.match(detail(a, 'vx1').ifalias, /^vethcon:v1:[0-9a-f]{16}:pending:pid=\d+/, 'marked pending from its creation');
          throw new Error('injected fault');
        },
      }),
      (e: unknown) => e instanceof WiringError && /injected fault; the link was removed again \(the kernel confirmed vx1 \(ifindex \d+\) in netns vckind-\w+ gone\)/.test((e as Error).message),
    );
    assert.deepEqual(names(a), ['lo']);
  });

  it('checks before any change: a missing parent, a name taken; checkAttach plans with what it found', async () => {
    const a = netns();
    ip('-n', a, 'link', 'add', 'taken', 'type', 'veth', 'peer', 'name', 'taken2');
    const before = names(a);
    await assert.rejects(attach({ ns: { type: 'netns', name: a }, ifname: 'vx2' }, { kind: 'vxlan', parent: 'nope', parentNs: { type: 'netns', name: p1 }, id: 1 }, { client: vc }),
      (e: unknown) => e instanceof NotFoundError && /there is no link named nope in netns vckind-\w+ to be the parent of the vxlan/.test((e as Error).message));
    await assert.rejects(checkAttach({ ns: { type: 'netns', name: a }, ifname: 'taken' }, { kind: 'macvlan', parent: 'u1', parentNs: { type: 'netns', name: p1 } }, { client: vc }),
      (e: unknown) => e instanceof ConflictError && /a link named taken already exists in netns vckind-/.test((e as Error).message));
    const steps = await checkAttach({ ns: { type: 'netns', name: a }, ifname: 'mv9' }, { kind: 'macvlan', parent: 'u1', parentNs: { type: 'netns', name: p1 } }, { client: vc });
    const create = describeRequest(steps[0]!.request);
    assert.equal(create.type, 'RTM_NEWLINK');
    assert.equal(create.attrs.IFLA_LINK, detail(p1, 'u1').ifindex);
    assert.deepEqual(names(a), before);
  });
});
