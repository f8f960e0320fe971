// e2e: a lab across two "hosts". Each host is a named namespace holding an
// underlay link (192.0.2.1/24 <-> 192.0.2.2/24, a veth between the two);
// `vethcon apply LAB --host a` runs inside host a's namespace and `--host
// b` inside b's (ip netns exec), each making its share: same-host links as
// veth pairs, links between hosts as a vxlan end in each node over the
// underlay. Pings cross every link; re-applying changes nothing; destroy on
// one host leaves the other's share untouched. All traffic stays inside the
// namespaces the test made.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLI, ipIn, ipJson, netnsAdd, netnsDel, netnsNs, requireE2E, type IpLink } from './cli-helpers.js';

const tag = randomBytes(3).toString('hex');
const HA = `vcmh-${tag}-ha`;
const HB = `vcmh-${tag}-hb`;
const NODES = { a1: `vcmh-${tag}-a1`, a2: `vcmh-${tag}-a2`, b1: `vcmh-${tag}-b1` };
const LAB = `mh-${tag}`;

interface Run { code: number | null; stdout: string; stderr: string }

/** `vethcon ARGS` run inside the namespace `host` (as if on that host). */
function onHost(host: string, args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    const p = spawn('ip', ['netns', 'exec', host, process.execPath, CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout.setEncoding('utf8').on('data', (d: string) => { stdout += d; });
    p.stderr.setEncoding('utf8').on('data', (d: string) => { stderr += d; });
    p.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}
const said = (r: Run): string => `exit ${r.code}\n${r.stdout}${r.stderr}`;

function ping(from: string, to: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const p = spawn('ip', ['netns', 'exec', from, 'busybox', 'ping', '-c1', '-W2', to], { stdio: 'ignore' });
    p.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`ping ${to} from ${from} failed`))));
  });
}

async function linksIn(ns: string): Promise<Record<string, { ifindex: number; kind?: string; mtu: number; vni?: number; remote?: string }>> {
  const all = await ipJson<IpLink[]>(netnsNs(ns), '-d', 'link', 'show');
  return Object.fromEntries(all.filter((l) => l.ifname !== 'lo').map((l) => {
    const data = (l.linkinfo as { info_data?: { id?: number; remote?: string } } | undefined)?.info_data;
    return [l.ifname, { ifindex: l.ifindex, kind: l.linkinfo?.info_kind, mtu: l.mtu, vni: data?.id, remote: data?.remote }];
  }));
}

describe('e2e: a lab across two hosts (vxlan over an underlay)', function () {
  this.timeout(120_000);
  let dir: string;
  let lab: string;

  before(async function () {
    await requireE2E(this);
    dir = mkdtempSync(join(tmpdir(), 'vcmh-'));
    lab = join(dir, 'lab.json');
    writeFileSync(lab, JSON.stringify({
      name: LAB,
      hosts: { a: { underlay: '192.0.2.1' }, b: { underlay: '192.0.2.2' } },
      nodes: { a1: { netns: NODES.a1, host: 'a' }, a2: { netns: NODES.a2, host: 'a' }, b1: { netns: NODES.b1, host: 'b' } },
      links: [
        { endpoints: ['a1:x:10.90.0.1/30', 'a2:x:10.90.0.2/30'] },
        { endpoints: ['a1:y:10.90.0.5/30', 'b1:y:10.90.0.6/30'] },
        { endpoints: ['b1:z:10.90.0.10/30', 'a2:z:10.90.0.9/30'], vni: 4242 },
      ],
    }));
    for (const ns of [HA, HB, ...Object.values(NODES)]) await netnsAdd(ns);
    await ipIn(netnsNs(HA), 'link', 'add', 'under', 'type', 'veth', 'peer', 'name', 'under', 'netns', HB);
    await ipIn(netnsNs(HA), 'addr', 'add', '192.0.2.1/24', 'dev', 'under');
    await ipIn(netnsNs(HB), 'addr', 'add', '192.0.2.2/24', 'dev', 'under');
    await ipIn(netnsNs(HA), 'link', 'set', 'under', 'up');
    await ipIn(netnsNs(HB), 'link', 'set', 'under', 'up');
  });

  after(async () => {
    for (const ns of [HA, HB, ...Object.values(NODES)]) await netnsDel(ns);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('applied on b, then on a: each host makes its share, and pings cross every link', async () => {
    const b = await onHost(HB, ['apply', lab, '--host', 'b']);
    assert.equal(b.code, 0, said(b));
    assert.match(b.stdout, /2 created/, said(b));
    const a = await onHost(HA, ['apply', lab, '--host', 'a']);
    assert.equal(a.code, 0, said(a));
    assert.match(a.stdout, /3 created/, said(a));
    const a1 = await linksIn(NODES.a1);
    const b1 = await linksIn(NODES.b1);
    assert.equal(a1.x!.kind, 'veth');
    assert.equal(a1.y!.kind, 'vxlan');
    assert.equal(a1.y!.remote, '192.0.2.2');
    assert.equal(b1.y!.remote, '192.0.2.1');
    assert.equal(a1.y!.vni, b1.y!.vni, 'both ends derive the same VNI');
    assert.equal(b1.z!.vni, 4242);
    assert.equal(a1.y!.mtu, 1450, 'the underlay MTU minus 50');
    await ping(NODES.a1, '10.90.0.2');
    await ping(NODES.a1, '10.90.0.6');
    await ping(NODES.a2, '10.90.0.10');
  });

  it('re-applying on either host changes nothing', async () => {
    const before = await Promise.all(Object.values(NODES).map(linksIn));
    for (const [host, name] of [[HA, 'a'], [HB, 'b']] as const) {
      const r = await onHost(host, ['apply', lab, '--host', name]);
      assert.equal(r.code, 0, said(r));
      assert.match(r.stdout, /nothing to change/, said(r));
    }
    assert.deepEqual(await Promise.all(Object.values(NODES).map(linksIn)), before);
  });

  it('show marks each end between hosts with its remote', async () => {
    const r = await onHost(HA, ['show', '--json', '--lab', LAB]);
    assert.equal(r.code, 0, said(r));
    const out = JSON.parse(r.stdout) as { links: { ends: { netns: string; ifname?: string; vxlan?: { remote?: string; vni?: number } }[] }[] };
    const ends = out.links.flatMap((l) => l.ends);
    const y = ends.find((e) => e.netns === `netns ${NODES.a1}` && e.ifname === 'y');
    assert.equal(y?.vxlan?.remote, '192.0.2.2', r.stdout);
  });

  it('refuses an MTU the underlay cannot carry, before any change (exit 2)', async () => {
    const big = join(dir, 'big.json');
    writeFileSync(big, JSON.stringify({ name: `${LAB}x`, hosts: { a: { underlay: '192.0.2.1' }, b: { underlay: '192.0.2.2' } }, nodes: { a1: { netns: NODES.a1, host: 'a' }, b1: { netns: NODES.b1, host: 'b' } }, links: [{ endpoints: ['a1:big', 'b1:big'], mtu: 1480 }] }));
    const r = await onHost(HA, ['apply', big, '--host', 'a']);
    assert.equal(r.code, 2, said(r));
    assert.match(r.stderr, /MTU 1480 for a1:big cannot fit: the underlay "under" has MTU 1500, and VXLAN takes 50 bytes of it \(at most 1450\)/, said(r));
    const none = await onHost(HA, ['apply', lab]);
    assert.equal(none.code, 2, said(none));
    assert.match(none.stderr, /spans hosts \(a, b\): say which this is with --host/, said(none));
  });

  it('a lab link of its own kind: a macvlan end in a node, on the underlay of the host it is applied on', async () => {
    const mv = join(dir, 'macvlan.json');
    writeFileSync(mv, JSON.stringify({ name: `${LAB}m`, nodes: { a2: { netns: NODES.a2 } }, links: [{ endpoints: ['a2:mv0:192.0.2.10/24'], macvlan: { parent: 'under' } }] }));
    const r = await onHost(HA, ['apply', mv]);
    assert.equal(r.code, 0, said(r));
    assert.match(r.stdout, /1 created/, said(r));
    assert.equal((await linksIn(NODES.a2)).mv0!.kind, 'macvlan');
    await ping(NODES.a2, '192.0.2.2');
    const again = await onHost(HA, ['apply', mv]);
    assert.match(again.stdout, /nothing to change/, said(again));
    const gone = await onHost(HA, ['destroy', mv]);
    assert.match(gone.stdout, /1 removed/, said(gone));
    assert.equal((await linksIn(NODES.a2)).mv0, undefined);
  });

  it('destroy on host a removes only a\'s share; b\'s stays', async () => {
    const bBefore = await linksIn(NODES.b1);
    const r = await onHost(HA, ['destroy', lab, '--host', 'a']);
    assert.equal(r.code, 0, said(r));
    assert.match(r.stdout, /3 removed/, said(r));
    assert.deepEqual(await linksIn(NODES.a1), {});
    assert.deepEqual(await linksIn(NODES.a2), {});
    assert.deepEqual(await linksIn(NODES.b1), bBefore);
    const again = await onHost(HA, ['apply', lab, '--host', 'a']);
    assert.equal(again.code, 0, said(again));
    await ping(NODES.a1, '10.90.0.6');
  });
});
