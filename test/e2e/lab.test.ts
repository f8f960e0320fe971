// e2e: a lab of two Docker containers and three named namespaces, six
// links, through the built command: apply, pings across every link, a second
// apply that changes nothing (same ifindexes), a link deleted by hand made
// again, a changed address fixed in place, --prune, destroy back to exactly
// what was there, and `apply --watch` re-wiring a restarted container within
// 2 s. `ip -j` (inside each namespace) and `docker inspect` are the oracles.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLI, eventually, ipIn, ipJson, netnsAdd, netnsDel, pidNs, netnsNs, requireE2E, show, vethcon, type Ns, type IpLink } from './cli-helpers.js';
import { docker, removeContainer, startContainer } from './docker-helpers.js';

const tag = randomBytes(3).toString('hex');
const C = [`vclab-${tag}-c1`, `vclab-${tag}-c2`];
const N = [`vclab-${tag}-n1`, `vclab-${tag}-n2`, `vclab-${tag}-n3`];

/** Each link: [node, ifname, address] x 2. */
const LINKS: [string, string, string, string, string, string][] = [
  ['c1', 'eth1', '10.81.0.1', 'c2', 'eth1', '10.81.0.2'],
  ['c1', 'eth2', '10.81.0.5', 'n1', 'to-c1', '10.81.0.6'],
  ['c2', 'eth2', '10.81.0.9', 'n2', 'to-c2', '10.81.0.10'],
  ['n1', 'to-n2', '10.81.0.13', 'n2', 'to-n1', '10.81.0.14'],
  ['n2', 'to-n3', '10.81.0.17', 'n3', 'to-n2', '10.81.0.18'],
  ['n3', 'to-c1', '10.81.0.21', 'c1', 'eth3', '10.81.0.22'],
];

function labFile(links = LINKS): object {
  return {
    name: `e2e-${tag}`,
    nodes: { c1: { container: C[0] }, c2: { container: C[1] }, n1: { netns: N[0] }, n2: { netns: N[1] }, n3: { netns: N[2] } },
    links: links.map(([na, ia, aa, nb, ib, ab]) => ({ endpoints: [`${na}:${ia}:${aa}/30`, `${nb}:${ib}:${ab}/30`], mtu: 1400 })),
  };
}

async function containerPid(name: string): Promise<number> {
  return Number(await docker(['inspect', '--format', '{{.State.Pid}}', name]));
}

/** Where a node lives now (a container's PID changes when it restarts). */
async function nsOf(node: string): Promise<Ns> {
  if (node.startsWith('c')) {
    const name = C[Number(node.slice(1)) - 1]!;
    return pidNs(await containerPid(name), `container ${name}`);
  }
  return netnsNs(N[Number(node.slice(1)) - 1]!);
}

async function view(node: string): Promise<Record<string, { ifindex: number; mtu: number; addrs: string[] }>> {
  const all = await ipJson<IpLink[]>(await nsOf(node), 'addr', 'show');
  return Object.fromEntries(all.filter((l) => l.ifname !== 'lo').map((l) => [l.ifname, {
    ifindex: l.ifindex, mtu: l.mtu, addrs: (l.addr_info ?? []).filter((a) => a.scope !== 'link').map((a) => `${a.local}/${a.prefixlen}`),
  }]));
}
const allViews = async () => Object.fromEntries(await Promise.all(['c1', 'c2', 'n1', 'n2', 'n3'].map(async (n) => [n, await view(n)] as const)));

/** Ping `to` from node `from` (busybox: in the container, or in the netns). */
async function ping(from: string, to: string): Promise<void> {
  if (from.startsWith('c')) await docker(['exec', C[Number(from.slice(1)) - 1]!, 'ping', '-c1', '-W2', to]);
  else await run('ip', ['netns', 'exec', N[Number(from.slice(1)) - 1]!, 'busybox', 'ping', '-c1', '-W2', to]);
}

function run(cmd: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const p = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    p.stderr.on('data', (d) => { err += d; });
    p.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`${cmd} ${args.join(' ')}: exit ${code} ${err}`))));
  });
}

async function pingEveryLink(links = LINKS): Promise<void> {
  for (const [na, , , nb, , ab] of links) await ping(na, ab);
}

describe('e2e: labs with Docker containers and named namespaces', function () {
  this.timeout(120_000);
  let dir: string;
  let lab: string;
  let pristine: Awaited<ReturnType<typeof allViews>>;

  before(async function () {
    await requireE2E(this);
    dir = mkdtempSync(join(tmpdir(), 'vclab-'));
    lab = join(dir, 'lab.json');
    writeFileSync(lab, JSON.stringify(labFile()));
    await Promise.all([...C.map((c) => startContainer(c)), ...N.map((n) => netnsAdd(n))]);
    pristine = await allViews();
  });

  after(async () => {
    await vethcon(['destroy', lab]).catch(() => undefined);
    await Promise.all([...C.map((c) => removeContainer(c)), ...N.map((n) => netnsDel(n))]);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('applies the lab: six links, pings cross every one', async () => {
    const r = await vethcon(['apply', lab]);
    assert.equal(r.code, 0, show(r));
    assert.match(r.stdout, /^lab e2e-\w+: 6 created\n/, show(r));
    const v = await allViews();
    for (const [na, ia, aa, nb, ib, ab] of LINKS) {
      assert.deepEqual(v[na]![ia]!.addrs, [`${aa}/30`], `${na}:${ia}`);
      assert.deepEqual(v[nb]![ib]!.addrs, [`${ab}/30`], `${nb}:${ib}`);
      assert.equal(v[na]![ia]!.mtu, 1400);
    }
    await pingEveryLink();
  });

  it('vethcon show --json --lab lists every link with both ends, as ip -j -d link and docker inspect see them', async () => {
    const r = await vethcon(['show', '--json', '--lab', `e2e-${tag}`]);
    assert.equal(r.code, 0, show(r));
    const out = JSON.parse(r.stdout) as { schema: number; links: { mark?: { lab?: string }; ends: { netns: string; ifname: string; ifindex: number; addresses: string[] }[] }[] };
    assert.equal(out.schema, 1);
    assert.equal(out.links.length, 6, show(r));
    const label = (node: string): string => (node.startsWith('c') ? `container ${C[Number(node.slice(1)) - 1]}` : `netns ${N[Number(node.slice(1)) - 1]}`);
    for (const [na, ia, aa, nb, ib, ab] of LINKS) {
      const want = [[label(na), ia, `${aa}/30`], [label(nb), ib, `${ab}/30`]].sort().map((x) => x.join(' '));
      const found = out.links.find((l) => JSON.stringify(l.ends.map((e) => `${e.netns} ${e.ifname} ${e.addresses.filter((a) => !a.startsWith('fe80:')).join(',')}`).sort()) === JSON.stringify(want));
      assert.ok(found, `no link ${want.join(' <-> ')} in ${r.stdout}`);
      assert.equal(found.mark?.lab, `e2e-${tag}`);
      // The oracle: each end's ifindex, and its peer's, in that namespace (docker inspect's PID for containers).
      const [ea, eb] = [found.ends.find((e) => e.ifname === ia && e.netns === label(na))!, found.ends.find((e) => e.ifname === ib && e.netns === label(nb))!];
      const la = (await ipJson<IpLink[]>(await nsOf(na), '-d', 'link', 'show', 'dev', ia))[0]!;
      const lb = (await ipJson<IpLink[]>(await nsOf(nb), '-d', 'link', 'show', 'dev', ib))[0]!;
      assert.equal(ea.ifindex, la.ifindex);
      assert.equal(eb.ifindex, lb.ifindex);
      assert.equal(la.link_index, lb.ifindex, `${na}:${ia}'s peer is ${nb}:${ib}`);
      assert.equal(la.linkinfo?.info_kind, 'veth');
    }
  });

  it('a second apply changes nothing: same ifindexes', async () => {
    const before = await allViews();
    const r = await vethcon(['apply', lab, '--json']);
    assert.equal(r.code, 0, show(r));
    const out = JSON.parse(r.stdout);
    assert.equal(out.changed, false);
    assert.deepEqual(out.links.map((l: { action: string }) => l.action), Array(6).fill('unchanged'));
    assert.deepEqual(await allViews(), before);
  });

  it('makes a link deleted by hand again, and fixes a changed address in place', async () => {
    const before = await allViews();
    await ipIn(await nsOf('c2'), 'link', 'del', 'eth2');
    await ipIn(netnsNs(N[0]!), 'addr', 'replace', '10.81.0.99/30', 'dev', 'to-n2');
    await ipIn(netnsNs(N[0]!), 'addr', 'del', '10.81.0.13/30', 'dev', 'to-n2');
    const r = await vethcon(['apply', lab]);
    assert.equal(r.code, 0, show(r));
    assert.match(r.stdout, /1 created, 1 updated, 4 unchanged/, show(r));
    assert.match(r.stdout, /updated  n1:to-n2 <-> n2:to-n1 \(n1:to-n2 -10\.81\.0\.99\/30; n1:to-n2 \+10\.81\.0\.13\/30\)/, show(r));
    const after = await allViews();
    assert.equal(after.n1!['to-n2']!.ifindex, before.n1!['to-n2']!.ifindex, 'fixed in place');
    assert.deepEqual(after.n1!['to-n2']!.addrs, ['10.81.0.13/30']);
    assert.deepEqual(after.c2!.eth2!.addrs, ['10.81.0.9/30']);
    await pingEveryLink();
  });

  it('--prune removes a link dropped from the file; nothing else changes', async () => {
    const smaller = join(dir, 'smaller.json');
    writeFileSync(smaller, JSON.stringify(labFile(LINKS.slice(0, 5))));
    const kept = await vethcon(['apply', smaller]);
    assert.match(kept.stdout, /1 kept/, show(kept));
    assert.ok((await view('n3'))['to-c1'], 'kept without --prune');
    const before = await allViews();
    const r = await vethcon(['apply', smaller, '--prune']);
    assert.equal(r.code, 0, show(r));
    assert.match(r.stdout, /1 removed/, show(r));
    const after = await allViews();
    assert.equal(after.n3!['to-c1'], undefined);
    assert.equal(after.c1!.eth3, undefined);
    delete before.n3!['to-c1'];
    delete before.c1!.eth3;
    assert.deepEqual(after, before);
    assert.equal((await vethcon(['apply', lab])).code, 0);
  });

  it('apply --watch re-wires a restarted container within 2 s, and Ctrl-C leaves the lab as it is', async () => {
    const child = spawn(process.execPath, [CLI, 'apply', '--watch', lab], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => { out += d; });
    child.stderr.setEncoding('utf8').on('data', (d: string) => { out += d; });
    try {
      assert.ok(await eventually(async () => /nothing to change/.test(out), 10_000), out);
      await docker(['restart', '-t', '0', C[0]!]);
      const restarted = Date.now();
      const back = await eventually(async () => {
        const v = await view('c1').catch(() => ({} as Record<string, { addrs: string[] }>));
        return ['eth1', 'eth2', 'eth3'].every((i) => v[i]?.addrs.length === 1);
      }, 10_000, 50);
      const took = Date.now() - restarted;
      assert.ok(back, `c1's links did not come back: ${out}`);
      assert.ok(took <= 2000, `c1's links came back after ${took} ms (more than 2 s): ${out}`);
      await pingEveryLink();
    } finally {
      child.kill('SIGINT');
    }
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    assert.equal(code, 0, out);
    const v = await allViews();
    for (const [na, ia] of LINKS) assert.ok(v[na]![ia], `${na}:${ia} still there after the watch ended`);
  });

  it('destroy leaves every namespace exactly as before the lab', async () => {
    const r = await vethcon(['destroy', lab]);
    assert.equal(r.code, 0, show(r));
    assert.match(r.stdout, /6 removed/, show(r));
    const after = await allViews();
    // c1 was restarted: its namespace is new, and as empty as the first one was.
    assert.deepEqual(after, pristine);
  });

  it('refuses a lab naming a container that is not there, exit 2, nothing changed', async () => {
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, JSON.stringify({ ...labFile(), nodes: { ...(labFile() as { nodes: object }).nodes, c2: { container: `vclab-${tag}-absent` } } }));
    const r = await vethcon(['apply', bad]);
    assert.equal(r.code, 2, show(r));
    assert.match(r.stderr, /node c2: .*vclab-\w+-absent/, show(r));
    assert.deepEqual(await allViews(), pristine);
  });
});
