// `vethcon show` end to end with two Docker containers (vcshow-*): the built
// command wires them, then show (text, --json, --dot, --container, --lab,
// --all) is checked against `docker inspect` (State.Pid: which namespace is
// which container) and `ip -j` run inside each container's namespace. The
// library's `{ container }` namespace target is checked here too.

import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { CLI_ESM, containerPid, ipIn, ipJson, pidNs, requireE2E, show as said, vethcon, type IpLink } from './cli-helpers.js';
import { removeContainer, startContainer } from './docker-helpers.js';
import { DockerError, open } from '../../src/index.js';

interface IpAddr { ifname: string; addr_info: { local: string; prefixlen: number }[] }

describe('vethcon show with Docker containers (e2e: root, Docker)', function () {
  this.timeout(180000);
  const tag = randomBytes(3).toString('hex');
  const c1 = `vcshow-${tag}-c1`;
  const c2 = `vcshow-${tag}-c2`;
  const id = randomBytes(8).toString('hex');

  before(async function () {
    await requireE2E(this);
    await Promise.all([startContainer(c1), startContainer(c2)]);
    const r = await vethcon(['-d', `${c1}:eth1:10.0.0.1/30`, '--mtu', '9000', '-d', `${c2}:eth1:10.0.0.2/30`, '--mtu', '9000']);
    assert.equal(r.code, 0, said(r));
    // A pair vethcon did not make, inside c2, and one carrying a lab's mark by hand.
    const ns2 = pidNs(await containerPid(c2), c2);
    await ipIn(ns2, 'link', 'add', 'o0', 'type', 'veth', 'peer', 'name', 'o1');
    await ipIn(ns2, 'link', 'add', 'l0', 'type', 'veth', 'peer', 'name', 'l1');
    for (const l of ['l0', 'l1']) await ipIn(ns2, 'link', 'set', l, 'alias', `vethcon:v1:${id}:lab=foo:link=abc123abc123`);
  });

  after(async () => {
    await Promise.all([removeContainer(c1), removeContainer(c2)]);
  });

  it('--json --container: the pair with both ends named by container, as docker inspect and ip inside each see them', async () => {
    const r = await vethcon(['show', '--json', '--container', c1]);
    assert.equal(r.code, 0, said(r));
    const doc = JSON.parse(r.stdout);
    assert.equal(doc.schema, 1);
    assert.equal(doc.ok, true);
    assert.equal(doc.links.length, 1, r.stdout);
    const [link] = doc.links;
    assert.equal(link.ours, true);
    assert.equal(link.mark.complete, true);
    assert.deepEqual(link.ends.map((e: { netns: string }) => e.netns), [`container ${c1}`, `container ${c2}`]);
    for (const [i, c] of [c1, c2].entries()) {
      const ns = pidNs(await containerPid(c), c);      // docker inspect: State.Pid -> the namespace
      const end = link.ends[i];
      const ipl = (await ipJson<IpLink[]>(ns, '-d', 'link', 'show', 'eth1'))[0]!;
      const addrs = (await ipJson<IpAddr[]>(ns, 'addr', 'show', 'dev', 'eth1'))[0]!.addr_info.map((a) => `${a.local}/${a.prefixlen}`);
      assert.equal(end.ifname, 'eth1');
      assert.equal(end.ifindex, ipl.ifindex);
      assert.equal(end.mtu, 9000);
      assert.equal(end.mtu, ipl.mtu);
      assert.equal(end.mac, ipl.address);
      assert.equal(end.up, ipl.flags.includes('UP'));
      assert.deepEqual([...end.addresses].sort(), addrs.sort());
      assert.equal(link.ends[1 - i].ifindex, ipl.link_index, 'the peer is the other end, by the kernel\'s IFLA_LINK');
    }
  });

  it('text: one line, both ends by container with their addresses, mtu and state', async () => {
    const r = await vethcon(['show', '--container', c2]);
    assert.equal(r.code, 0, said(r));
    assert.deepEqual(r.stdout.trim().split('\n').filter((l) => l.includes('eth1')), [
      `container ${c2}:eth1 (10.0.0.2/30) <-> container ${c1}:eth1 (10.0.0.1/30) mtu 9000 up`,
    ]);
  });

  it('--all shows the pair vethcon did not make; without it, it is not shown', async () => {
    const all = await vethcon(['show', '--all', '--container', c2]);
    assert.equal(all.code, 0, said(all));
    assert.match(all.stdout, new RegExp(`container ${c2}:o[01] <-> container ${c2}:o[01] mtu 1500 down \\(not vethcon's\\)`));
    const ours = await vethcon(['show', '--container', c2]);
    assert.doesNotMatch(ours.stdout, /:o[01]/);
  });

  it('--lab: only the links of that lab', async () => {
    const r = await vethcon(['show', '--json', '--lab', 'foo', '--container', c2]);
    assert.equal(r.code, 0, said(r));
    const doc = JSON.parse(r.stdout);
    assert.deepEqual(doc.links.map((l: { mark: { id: string; lab: string; link: string } }) => l.mark), [{ id, complete: true, lab: 'foo', link: 'abc123abc123' }]);
    const none = await vethcon(['show', '--lab', 'bar', '--container', c2]);
    assert.match(none.stdout, /^no links made by vethcon found in \d+ namespaces\n$/);
  });

  it('--dot: the two containers as nodes, the pair as an edge labelled with its ifnames', async () => {
    const r = await vethcon(['show', '--dot', '--container', c1]);
    assert.equal(r.code, 0, said(r));
    assert.ok(r.stdout.includes(`"container ${c1}" -- "container ${c2}" [label="eth1 - eth1", taillabel="eth1", headlabel="eth1"];`), r.stdout);
  });

  it('bad filters: exit 2 with what was wrong', async () => {
    const missing = await vethcon(['show', '--container', `${c1}-gone`]);
    assert.equal(missing.code, 2, said(missing));
    assert.match(missing.stderr, /container "vcshow-.*-gone" does not exist/);
    const lab = await vethcon(['show', '--lab', 'no good']);
    assert.equal(lab.code, 2, said(lab));
    assert.match(lab.stderr, /lab: "no good" is not a lab name/);
    const esm = await vethcon(['show', '--netns'], { cli: CLI_ESM });
    assert.equal(esm.code, 2, said(esm));
    assert.match(esm.stderr, /show: --netns needs a value/);
  });

  it('library: { container } as a namespace target lists the links ip sees there; a missing one is a DockerError', async () => {
    const vc = open();
    try {
      const links = await vc.links.list({ netns: { container: c1 } });
      const ipLinks = await ipJson<IpLink[]>(pidNs(await containerPid(c1), c1), 'link', 'show');
      assert.deepEqual(links.map((l) => `${l.ifindex}:${l.ifname}`).sort(), ipLinks.map((l) => `${l.ifindex}:${l.ifname}`).sort());
      const ns = await vc.netns({ container: c1 });
      assert.equal(ns.label, `container ${c1}`);
      await assert.rejects(vc.links.list({ netns: { container: `${c1}-gone` } }), (e: unknown) => e instanceof DockerError && e.code === 'ENOCONTAINER');
    } finally {
      await vc.close();
    }
  });
});
