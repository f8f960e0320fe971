// Labs on the live kernel, through the library, with named namespaces and
// `ip -j` as the oracle: apply, a second apply that changes nothing (same
// ifindexes), drift fixed in place, a link deleted by hand made again,
// --prune, destroy back to exactly what was there, a failure halfway undone
// whole, two concurrent applies making each link once, a dry run that
// checks and changes nothing.

import assert from 'node:assert/strict';
import { Vethcon } from '../../src/api/client.js';
import { applyLab, destroyLab, parseLab, type Lab, type ApplyResult } from '../../src/lab/index.js';
import { ConflictError, WiringError } from '../../src/wire/errors.js';
import { ValidationError } from '../../src/rules/index.js';
import { LiveNamespaces, closeAndCleanup, ip, ipJson, requireRoot, withoutDad } from './live-helpers.js';

interface IpAddrLink { ifindex: number; ifname: string; mtu: number; flags: string[]; address: string; link_index?: number; ifalias?: string; addr_info: { local: string; prefixlen: number; scope: string }[] }

/** Every link of a namespace with its addresses (link-local left out), by name; lo left out. */
function view(ns: string): Record<string, { ifindex: number; mtu: number; up: boolean; mac: string; peer?: number; alias?: string; addrs: string[] }> {
  const out: ReturnType<typeof view> = {};
  const links = ipJson<(IpAddrLink & { link?: string })[]>('-n', ns, 'link', 'show');
  const addrs = new Map(ipJson<IpAddrLink[]>('-n', ns, 'addr', 'show').map((l) => [l.ifindex, l.addr_info]));
  const byName = new Map(links.map((l) => [l.ifname, l.ifindex]));
  for (const l of links) {
    if (l.ifname === 'lo') continue;
    out[l.ifname] = {
      ifindex: l.ifindex, mtu: l.mtu, up: l.flags.includes('UP'), mac: l.address, peer: l.link_index ?? (l.link ? byName.get(l.link) : undefined), alias: l.ifalias,
      addrs: (addrs.get(l.ifindex) ?? []).filter((a) => a.scope !== 'link').map((a) => `${a.local}/${a.prefixlen}`).sort(),
    };
  }
  return out;
}

const actions = (r: ApplyResult): string[] => r.links.map((l) => `${l.link} ${l.action}`);

describe('labs (live, named netns)', function () {
  this.timeout(60_000);
  const spaces = new LiveNamespaces();
  let vc: Vethcon;
  let ns: string[];
  let lab: Lab;
  let file: Record<string, unknown>;

  before(function () {
    requireRoot(this);
    vc = new Vethcon();
    ns = [spaces.add(), spaces.add(), spaces.add()];
    withoutDad(...ns);
    file = {
      name: `t${ns[0]!.slice(-8)}`,
      nodes: { a: { netns: ns[0] }, b: { netns: ns[1] }, c: { netns: ns[2] } },
      links: [
        { endpoints: ['a:ab:10.77.0.1/30', 'b:ba:10.77.0.2/30'], mtu: 9000 },
        { endpoints: ['b:bc:10.77.0.5/30,2001:db8:77::1/64', 'c:cb:10.77.0.6/30,2001:db8:77::2/64'] },
        { endpoints: ['c:ca:10.77.0.9/30', { node: 'a', ifname: 'ac', addresses: ['10.77.0.10/30'], mac: '02:00:00:77:00:0a' }] },
        { endpoints: ['a:loop1', 'a:loop2'] },
      ],
    };
    lab = parseLab(file);
  });
  after(() => closeAndCleanup(vc, spaces));

  it('applies: every link made as the file says, marked with the lab and its key', async () => {
    const r = await applyLab(lab, { client: vc });
    assert.equal(r.changed, true);
    assert.deepEqual(r.links.map((l) => l.action), ['created', 'created', 'created', 'created']);
    const [a, b, c] = ns.map(view) as [ReturnType<typeof view>, ReturnType<typeof view>, ReturnType<typeof view>];
    assert.deepEqual(a.ab!.addrs, ['10.77.0.1/30']);
    assert.equal(a.ab!.mtu, 9000);
    assert.equal(b.ba!.mtu, 9000);
    assert.deepEqual(b.bc!.addrs, ['10.77.0.5/30', '2001:db8:77::1/64']);
    assert.deepEqual(c.cb!.addrs, ['10.77.0.6/30', '2001:db8:77::2/64']);
    assert.equal(a.ac!.mac, '02:00:00:77:00:0a');
    for (const v of [a, b, c]) for (const [name, l] of Object.entries(v)) {
      assert.equal(l.up, true, `${name} up`);
      assert.match(l.alias ?? '', new RegExp(`^vethcon:v1:[0-9a-f]{16}:lab=${lab.name}:link=[0-9a-f]{12}$`), `${name} marked`);
    }
    // Peers as the kernel has them: ab's peer is ba's ifindex, loop1 and loop2 each other's.
    assert.equal(a.ab!.peer, b.ba!.ifindex);
    assert.equal(a.loop1!.peer, a.loop2!.ifindex);
    // What the result says matches the kernel.
    assert.deepEqual(r.links[0]!.ends.map((e) => e.ifindex), [a.ab!.ifindex, b.ba!.ifindex]);
    // Traffic crosses a link.
    ip('netns', 'exec', ns[0]!, 'busybox', 'ping', '-c1', '-W2', '10.77.0.2');
    ip('netns', 'exec', ns[1]!, 'busybox', 'ping', '-c1', '-W2', '2001:db8:77::2');
  });

  it('a second apply changes nothing and says so (same ifindexes)', async () => {
    const before = ns.map(view);
    const r = await applyLab(lab, { client: vc });
    assert.equal(r.changed, false);
    assert.deepEqual(r.links.map((l) => l.action), ['unchanged', 'unchanged', 'unchanged', 'unchanged']);
    assert.deepEqual(ns.map(view), before);
  });

  it('fixes drift in place: an address, an MTU, a MAC, a link set down; the other links untouched', async () => {
    ip('-n', ns[0]!, 'addr', 'del', '10.77.0.1/30', 'dev', 'ab');
    ip('-n', ns[0]!, 'addr', 'add', '10.77.0.3/30', 'dev', 'ab');
    ip('-n', ns[1]!, 'link', 'set', 'ba', 'mtu', '1500');
    ip('-n', ns[0]!, 'link', 'set', 'ac', 'address', '02:00:00:77:00:ff');
    ip('-n', ns[2]!, 'link', 'set', 'cb', 'down');
    const before = ns.map(view);
    const dry = await applyLab(lab, { client: vc, dryRun: true });
    assert.deepEqual(ns.map(view), before, 'a dry run changes nothing');
    assert.deepEqual(actions(dry), ['a:ab <-> b:ba updated', 'b:bc <-> c:cb updated', 'c:ca <-> a:ac updated', 'a:loop1 <-> a:loop2 unchanged']);
    assert.deepEqual(dry.links[0]!.changes, ['a:ab -10.77.0.3/30', 'a:ab +10.77.0.1/30', 'b:ba mtu 1500 -> 9000']);
    const r = await applyLab(lab, { client: vc });
    assert.deepEqual(actions(r), actions(dry));
    const [a, b, c] = ns.map(view) as [ReturnType<typeof view>, ReturnType<typeof view>, ReturnType<typeof view>];
    assert.deepEqual(a.ab!.addrs, ['10.77.0.1/30']);
    assert.equal(b.ba!.mtu, 9000);
    assert.equal(a.ac!.mac, '02:00:00:77:00:0a');
    assert.equal(c.cb!.up, true);
    assert.equal(a.ab!.ifindex, before[0]!.ab!.ifindex, 'fixed in place, not made again');
    assert.equal((await applyLab(lab, { client: vc })).changed, false);
  });

  it('makes again a link deleted by hand, and only that one', async () => {
    const before = ns.map(view);
    ip('-n', ns[1]!, 'link', 'del', 'bc');
    const r = await applyLab(lab, { client: vc });
    assert.deepEqual(actions(r), ['a:ab <-> b:ba unchanged', 'b:bc <-> c:cb created', 'c:ca <-> a:ac unchanged', 'a:loop1 <-> a:loop2 unchanged']);
    const after = ns.map(view);
    assert.deepEqual(after[1]!.bc!.addrs, before[1]!.bc!.addrs);
    assert.equal(after[0]!.ab!.ifindex, before[0]!.ab!.ifindex);
    ip('netns', 'exec', ns[1]!, 'busybox', 'ping', '-c1', '-W2', '10.77.0.6');
  });

  it('keeps a link the file no longer names, and removes it with --prune', async () => {
    const smaller = parseLab({ ...file, links: (file.links as unknown[]).slice(0, 3) });
    const kept = await applyLab(smaller, { client: vc });
    assert.deepEqual(kept.links.map((l) => l.action), ['unchanged', 'unchanged', 'unchanged', 'kept']);
    assert.ok(view(ns[0]!).loop1, 'kept without --prune');
    const pruned = await applyLab(smaller, { client: vc, prune: true });
    assert.deepEqual(pruned.links.map((l) => l.action), ['unchanged', 'unchanged', 'unchanged', 'removed']);
    assert.equal(view(ns[0]!).loop1, undefined);
    assert.equal(view(ns[0]!).loop2, undefined);
    await applyLab(lab, { client: vc });
  });

  it('refuses a name something else holds, before any change', async () => {
    const taken = parseLab({ ...file, links: [...(file.links as unknown[]), { endpoints: ['b:bx', 'c:cx'] }] });
    ip('-n', ns[2]!, 'link', 'add', 'cx', 'type', 'veth', 'peer', 'name', 'cx-peer');
    try {
      const before = ns.map(view);
      await assert.rejects(applyLab(taken, { client: vc }), (e: unknown) => e instanceof ConflictError && /links\[4\]: "cx" is taken in netns .* by a link that is not made by vethcon/.test(e.message));
      assert.deepEqual(ns.map(view), before);
    } finally {
      ip('-n', ns[2]!, 'link', 'del', 'cx');
    }
  });

  it('a failure halfway (a name taken during the run) leaves the machine as before the apply', async () => {
    // Drift to fix, links to make, a link to prune: then a name is taken right before the changes.
    ip('-n', ns[1]!, 'link', 'set', 'ba', 'mtu', '1400');
    ip('-n', ns[0]!, 'addr', 'add', '10.77.0.13/30', 'dev', 'ab');
    // A renamed end: the pair is made again (its rest removed first, so that is undone too).
    ip('-n', ns[0]!, 'link', 'set', 'loop1', 'name', 'loopx');
    const bigger = parseLab({ ...file, links: [...(file.links as unknown[]).slice(1), { endpoints: ['b:n1:10.78.0.1/30', 'c:n1:10.78.0.2/30'] }, { endpoints: ['a:n2', 'c:n2'] }] });
    const before = ns.map(view);
    const hook = async (): Promise<void> => { ip('-n', ns[2]!, 'link', 'add', 'n2', 'type', 'veth', 'peer', 'name', 'n2-peer'); };
    try {
      await assert.rejects(applyLab(bigger, { client: vc, prune: true, beforeChanges: hook }), (e: unknown) => e instanceof WiringError && /everything this run changed was undone, and the kernel confirmed it/.test(e.message) && /n2/.test(e.message));
      const after = ns.map(view);
      after[2]!['n2'] = undefined as never;
      after[2]!['n2-peer'] = undefined as never;
      for (const v of after) for (const k of Object.keys(v)) if (v[k] === undefined) delete v[k];
      // The pruned link ab <-> ba came back: same names, addresses, MTU, mark; new ifindexes.
      const strip = (vs: ReturnType<typeof view>[]) => vs.map((v) => Object.fromEntries(Object.entries(v).map(([k, l]) => [k, { ...l, ifindex: 0, peer: 0, mac: k === 'ab' || k === 'ba' ? '' : l.mac }])));
      assert.deepEqual(strip(after), strip(before));
      assert.equal(after[1]!.bc!.ifindex, before[1]!.bc!.ifindex, 'links not touched keep their ifindexes');
    } finally {
      ip('-n', ns[2]!, 'link', 'del', 'n2');
    }
    await applyLab(lab, { client: vc });
  });

  it('a failure while fixing drift undoes the fixes already made and the links already created', async () => {
    ip('-n', ns[1]!, 'link', 'set', 'ba', 'mtu', '1400');
    ip('-n', ns[0]!, 'addr', 'add', '10.77.0.13/30', 'dev', 'ab');
    ip('-n', ns[2]!, 'addr', 'add', '10.77.0.17/30', 'dev', 'ca');
    const more = parseLab({ ...file, links: [...(file.links as unknown[]), { endpoints: ['b:n3:10.79.0.1/30', 'c:n3:10.79.0.2/30'] }] });
    const before = ns.map(view);
    // Someone removes an address the apply is about to remove: that removal fails, after the creation and other fixes.
    const hook = async (): Promise<void> => { ip('-n', ns[2]!, 'addr', 'del', '10.77.0.17/30', 'dev', 'ca'); };
    await assert.rejects(applyLab(more, { client: vc, beforeChanges: hook }), (e: unknown) => e instanceof WiringError && /remove 10\.77\.0\.17\/30 from c:ca/.test(e.message) && /everything this run changed was undone, and the kernel confirmed it/.test(e.message));
    const after = ns.map(view);
    before[2]!.ca!.addrs = before[2]!.ca!.addrs.filter((a) => a !== '10.77.0.17/30');
    assert.deepEqual(after, before);
    await applyLab(lab, { client: vc });
  });

  it('two applies of one lab at the same moment make each link once', async () => {
    await destroyLab(lab, { client: vc });
    const [r1, r2] = await Promise.all([applyLab(lab), applyLab(lab)]);
    const created = [...r1.links, ...r2.links].filter((l) => l.action === 'created').length;
    assert.equal(created, 4);
    assert.equal([r1, r2].filter((r) => !r.changed).length, 1, 'the second waits for the first, then finds nothing to do');
    assert.deepEqual(Object.keys(view(ns[0]!)).sort(), ['ab', 'ac', 'loop1', 'loop2']);
  });

  it('an absent node stops an apply before any change (or waits, when partial)', async () => {
    const away = parseLab({ ...file, nodes: { ...(file.nodes as object), d: { netns: `${ns[0]}-absent` } }, links: [...(file.links as unknown[]), { endpoints: ['a:ad', 'd:da'] }] });
    const before = ns.map(view);
    await assert.rejects(applyLab(away, { client: vc }), (e: unknown) => e instanceof ValidationError && /node d: .*absent/.test(e.message));
    assert.deepEqual(ns.map(view), before);
    const partial = await applyLab(away, { client: vc, partial: true });
    assert.deepEqual(partial.links.map((l) => l.action), ['unchanged', 'unchanged', 'unchanged', 'unchanged', 'waiting']);
  });

  it('a node whose name leads to another namespace by the end of the run: everything undone', async () => {
    // c's name is re-pointed to a fresh namespace while the apply works in the one it pinned.
    const moved = parseLab({ ...file, links: [...(file.links as unknown[]), { endpoints: ['a:am:10.80.0.1/30', 'c:cm:10.80.0.2/30'] }] });
    const before = ns.map(view);
    const hook = async (): Promise<void> => { ip('netns', 'del', ns[2]!); ip('netns', 'add', ns[2]!); };
    await assert.rejects(applyLab(moved, { client: vc, beforeChanges: hook }), (e: unknown) => e instanceof WiringError && /changed while it was being wired/.test(e.message) && /everything this run changed was undone/.test(e.message));
    assert.deepEqual(view(ns[0]!), before[0], 'the link made in a was removed again');
    assert.deepEqual(view(ns[2]!), {}, 'the name now leads to a fresh namespace, untouched');
    await applyLab(lab, { client: vc });
  });

  it('destroy removes exactly the lab\'s links and leaves each namespace as before the lab', async () => {
    ip('-n', ns[0]!, 'link', 'add', 'mine', 'type', 'veth', 'peer', 'name', 'mine2');
    const r = await destroyLab(lab, { client: vc });
    assert.deepEqual(r.links.map((l) => l.action), ['removed', 'removed', 'removed', 'removed']);
    assert.deepEqual(Object.keys(view(ns[0]!)).sort(), ['mine', 'mine2']);
    assert.deepEqual(view(ns[1]!), {});
    assert.deepEqual(view(ns[2]!), {});
    const again = await destroyLab(lab, { client: vc });
    assert.equal(again.changed, false);
  });
});
