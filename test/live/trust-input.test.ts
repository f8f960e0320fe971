// The library trusts no input: every call that takes a namespace, a name, a
// number or a request checks it (ValidationError) before any request or file
// access, instead of throwing a raw TypeError or EncodeError, or acting on
// something else than what was asked (a path outside /proc/sys, `lo` for
// "lo\0x", the current namespace for { current: false }).
// Needs root; every namespace is vclive-* and removed afterwards.

import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { open, ValidationError, type Vethcon } from '../../src/index.js';
import type { NetlinkSocket } from '../../src/transport/socket.js';
import { LiveNamespaces, requireRoot, ip, closeAndCleanup } from './live-helpers.js';

const stateOf = (ns: string): string =>
  [['link', 'show'], ['addr', 'show'], ['-4', 'route', 'show', 'table', 'all'], ['-6', 'route', 'show', 'table', 'all'], ['neigh', 'show']]
    .map((args) => ip('-n', ns, '-j', ...args)).join('\n');

/** Count what goes out through a socket (instance-level wrappers; undone by the returned function). */
function countRequests(socket: NetlinkSocket): { count: () => number; restore: () => void } {
  let n = 0;
  const s = socket as any;
  const saved = { request: s.request, dump: s.dump, batch: s.batch };
  for (const key of Object.keys(saved) as (keyof typeof saved)[]) {
    s[key] = (...args: unknown[]) => (n++, saved[key].apply(socket, args));
  }
  return { count: () => n, restore: () => { for (const key of Object.keys(saved)) delete s[key]; } };
}

/** `call` rejects with a ValidationError whose message matches every pattern. */
async function refused(what: string, call: () => Promise<unknown>, ...why: RegExp[]): Promise<void> {
  let result: unknown;
  try {
    result = await call();
  } catch (e) {
    assert.ok(e instanceof ValidationError, `${what}: not a ValidationError: ${(e as Error)?.name}: ${(e as Error)?.message?.slice(0, 300)}`);
    assert.equal(e.code, 'EINVAL', what);
    assert.ok(e.message.length < 400, `${what}: a message of ${e.message.length} characters`);
    for (const w of why) assert.match(e.message, w, what);
    return;
  }
  assert.fail(`${what}: accepted (${JSON.stringify(result)?.slice(0, 200)})`);
}

describe('trust: the library checks every input before acting (live, root)', function () {
  this.timeout(60_000);
  const spaces = new LiveNamespaces();
  let vc: Vethcon;
  let A: string;
  let scratch: string;

  before(function () {
    requireRoot(this);
    A = spaces.add();
    ip('-n', A, 'link', 'add', 'nic1', 'type', 'veth', 'peer', 'name', 'nic1p');
    ip('-n', A, 'link', 'set', 'nic1', 'up');
    ip('-n', A, 'addr', 'add', '10.251.0.1/24', 'dev', 'nic1');
    vc = open();
    scratch = mkdtempSync(join(tmpdir(), 'vcti-'));
  });

  after(async () => {
    if (scratch) rmSync(scratch, { recursive: true, force: true });
    await closeAndCleanup(vc, spaces);
  });

  it('enableIPv6 checks the interface name: a ../ path cannot reach a file outside /proc/sys', async () => {
    const dir = join(scratch, 'trav');
    mkdirSync(dir);
    const victim = join(dir, 'disable_ipv6');
    writeFileSync(victim, '1\n');
    const up = '../'.repeat(10);
    await refused('traversal', () => vc.enableIPv6(A, `${up}${dir.slice(1)}`), /ifname: interface name/);
    await refused('a short ../', () => vc.enableIPv6(A, '../x'), /ifname: interface name "\.\.\/x"/, /'\/'/);
    await refused('traversal, current netns', () => vc.enableIPv6(undefined, `${up}${dir.slice(1)}`), /interface name/);
    await refused('NUL', () => vc.enableIPv6(A, 'nic1\0'), /NUL/);
    assert.equal(readFileSync(victim, 'utf8'), '1\n', 'the file outside /proc/sys is untouched');
    await vc.enableIPv6(A, 'nic1');
  });

  it('a namespace target that is not one is a ValidationError in every call (5, null, { current: false }, {})', async () => {
    const before = stateOf(A);
    const bad: [string, unknown, RegExp][] = [
      ['a number', 5, /netns/],
      ['null', null, /netns/],
      ['{ current: false }', { current: false }, /current/],
      ['an empty object', {}, /netns/],
      ['a pid that is no number', { pid: '1' }, /netns/],
      ['a name and a pid', { name: A, pid: 1 }, /netns/],
      ['a path with a NUL', { path: '/run/netns/x\0' }, /NUL/],
    ];
    for (const [what, netns] of bad) {
      const o = { netns } as any;
      const calls: [string, () => Promise<unknown>][] = [
        ['netns()', () => vc.netns(netns as any)],
        ['links.list', () => vc.links.list(o)],
        ['links.get', () => vc.links.get('nic1', o)],
        ['links.add', () => vc.links.add({ ...o, ifname: 'new0', kind: 'bridge' })],
        ['links.add peer', () => vc.links.add({ netns: A, ifname: 'new0', kind: 'veth', peer: { ifname: 'new1', netns } } as any)],
        ['links.delete', () => vc.links.delete('nic1', o)],
        ['links.set', () => vc.links.set('nic1', { up: true }, o)],
        ['links.set netns', () => vc.links.set('nic1', { netns } as any, { netns: A })],
        ['addresses.list', () => vc.addresses.list(o)],
        ['addresses.add', () => vc.addresses.add('nic1', '10.251.0.9/24', o)],
        ['addresses.delete', () => vc.addresses.delete('nic1', '10.251.0.1/24', o)],
        ['routes.list', () => vc.routes.list(o)],
        ['routes.each', () => vc.routes.each(() => {}, o)],
        ['routes.add', () => vc.routes.add({ ...o, dst: '10.252.0.0/16', dev: 'nic1' })],
        ['routes.replace', () => vc.routes.replace({ ...o, dst: '10.252.0.0/16', dev: 'nic1' })],
        ['routes.delete', () => vc.routes.delete({ ...o, dst: '10.252.0.0/16', dev: 'nic1' })],
        ['neighbours.list', () => vc.neighbours.list(o)],
        ['neighbours.add', () => vc.neighbours.add({ ...o, dev: 'nic1', dst: '10.251.0.7', lladdr: '02:00:00:00:00:07' })],
        ['neighbours.delete', () => vc.neighbours.delete({ ...o, dev: 'nic1', dst: '10.251.0.7' })],
        ['batch', () => vc.batch([], o)],
        ['enableIPv6', () => vc.enableIPv6(netns as any, 'nic1')],
      ];
      for (const [call, f] of calls) await refused(`${call} with ${what}`, f);
    }
    assert.equal(stateOf(A), before, 'nothing changed');
  });

  it('an options object that is not one (null) is a ValidationError, not a TypeError', async () => {
    await refused('links.list(null)', () => vc.links.list(null as any), /options/);
    await refused('links.get(x, null)', () => vc.links.get('nic1', null as any), /options/);
    await refused('routes.add(null)', () => vc.routes.add(null as any), /route/);
  });

  it('batch: each request must be an object with numeric type and flags and header and attrs objects', async () => {
    const h = await vc.netns(A);
    const before = stateOf(A);
    const counter = countRequests(h.socket);
    try {
      const bad: [string, unknown[]][] = [
        ['null', [null]],
        ['a number', [5]],
        ['no type', [{ flags: 5, header: {}, attrs: {} }]],
        ['a string type', [{ type: '16', flags: 5, header: {}, attrs: {} }]],
        ['a type over 16 bits', [{ type: 0x10000, flags: 5, header: {}, attrs: {} }]],
        ['no header', [{ type: 16, flags: 5, attrs: {} }]],
        ['a null header', [{ type: 16, flags: 5, header: null, attrs: {} }]],
        ['attrs a string', [{ type: 16, flags: 5, header: {}, attrs: 'x' }]],
      ];
      for (const [what, reqs] of bad) {
        await refused(`vc.batch with ${what}`, () => vc.batch(reqs as any, { netns: A }), /request 1/);
        await refused(`handle.batch with ${what}`, () => h.batch(reqs as any));
      }
      await refused('vc.batch(null)', () => vc.batch(null as any, { netns: A }), /requests/);
      await refused('handle.request(null)', () => h.request(null as any, 'x'));
      assert.equal(counter.count(), 0, 'no netlink request was sent');
    } finally {
      counter.restore();
    }
    assert.equal(stateOf(A), before, 'nothing changed');
  });

  it('{ current: false } does not select the current namespace: refused (only { current: true })', async () => {
    await refused('links.list', () => vc.links.list({ netns: { current: false } as any }), /current/, /true/);
  });

  it('a link name with a NUL is refused ("lo\\0x" would be lo to the kernel)', async () => {
    await refused('links.get', () => vc.links.get('lo\0x', { netns: A }), /NUL/);
    await refused('links.delete', () => vc.links.delete('nic1\0', { netns: A }), /NUL/);
    await refused('links.add', () => vc.links.add({ netns: A, ifname: 'br\0x', kind: 'bridge' }), /NUL/);
    assert.ok(ip('-n', A, '-j', 'link', 'show').includes('"nic1"'));
  });

  it('out-of-range numbers and bad route addresses are ValidationErrors from the rules, not EncodeErrors', async () => {
    const before = stateOf(A);
    const counter = countRequests((await vc.netns(A)).socket);
    try {
      const cases: [string, () => Promise<unknown>, RegExp][] = [
        ['ifindex 2^31', () => vc.links.get(2 ** 31, { netns: A }), /link/],
        ['ifindex 2^40', () => vc.links.delete(2 ** 40, { netns: A }), /link/],
        ['ifindex 0', () => vc.links.get(0, { netns: A }), /link/],
        ['master ifindex 2^31', () => vc.links.set('nic1', { master: 2 ** 31 }, { netns: A }), /master/],
        ['route dev ifindex 2^31', () => vc.routes.add({ netns: A, dst: '10.252.0.0/16', dev: 2 ** 31 }), /dev/],
        ['txqlen 2^32 on set', () => vc.links.set('nic1', { txqlen: 2 ** 32 }, { netns: A }), /txqlen/],
        ['metric 2^32', () => vc.routes.add({ netns: A, dst: '10.252.0.0/16', dev: 'nic1', metric: 2 ** 32 }), /metric/],
        ['table 2^32', () => vc.routes.add({ netns: A, dst: '10.252.0.0/16', dev: 'nic1', table: 2 ** 32 }), /table/],
        ['gateway not an address', () => vc.routes.add({ netns: A, dst: '10.252.0.0/16', gateway: 'nope' }), /gateway/],
        ['IPv6 gateway for an IPv4 route', () => vc.routes.add({ netns: A, dst: '10.252.0.0/16', gateway: '2001:db8::1' }), /gateway/],
        ['IPv4 gateway for family inet6', () => vc.routes.add({ netns: A, dst: 'default', family: 'inet6', gateway: '10.251.0.2' }), /gateway/],
        ['prefsrc not an address', () => vc.routes.add({ netns: A, dst: '10.252.0.0/16', dev: 'nic1', prefsrc: 'x' }), /prefsrc/],
        ['IPv6 prefsrc for an IPv4 route', () => vc.routes.add({ netns: A, dst: '10.252.0.0/16', dev: 'nic1', prefsrc: '2001:db8::1' }), /prefsrc/],
        ['neighbour dst not an address', () => vc.neighbours.add({ netns: A, dev: 'nic1', dst: 'zzz', lladdr: '02:00:00:00:00:07' }), /dst/],
      ];
      for (const [what, call, why] of cases) await refused(what, call, why);
      assert.equal(counter.count(), 0, 'no netlink request was sent');
    } finally {
      counter.restore();
    }
    assert.equal(stateOf(A), before, 'nothing changed');
  });

  it('a 10 MB name or address is quoted short in the message', async () => {
    const huge = 'x'.repeat(10_000_000);
    await refused('links.get', () => vc.links.get(huge, { netns: A }), /… \(10000000 bytes\)/);
    await refused('addresses.add', () => vc.addresses.add('nic1', huge, { netns: A }), /… \(10000000 bytes\)/);
    await refused('netns name', () => vc.links.list({ netns: `a/${huge}` }), /bytes\)/);
    await refused('ipvlan mode', () => vc.links.add({ netns: A, ifname: 'ok0', kind: 'ipvlan', ipvlan: { parent: 'nic1', mode: huge as 'l3' } }), /ipvlan\.mode/);
    await refused('unknown key', () => vc.links.add({ netns: A, ifname: 'ok0', kind: 'bridge', [huge]: 1 } as any), /Unrecognized key/);
  });
});
