// e2e: the vethcon CLI exactly as a user types it, against real Docker
// containers (vethcon-busybox:latest, --network none) and named netns. The
// oracle is iproute2's `ip -j` (via nsenter for containers) and ping inside
// the containers, never our own library. Needs root and a Docker engine
// (scripts/docker-up.sh): without them the suite skips, or fails under CI=true.
import assert from 'node:assert/strict';
import { docker, removeContainer, startContainer, stopContainer } from './docker-helpers.js';
import {
  CLI_ESM, HOST, PKG_VERSION, containerPid, deadPid, eventually, ipIn, linkInfo, links, namesOf, netnsAdd, netnsDel, netnsNs,
  pidNs, PAUSE_ANNOUNCEMENT, requireE2E, show, snapshot, vethcon, vethconWithFault, type CliResult, type IpLink, type Ns,
} from './cli-helpers.js';

/** Unique per run: containers, netns and the one host link are named with it. */
const TAG = process.pid.toString(36);
const C1 = `vce2e-${TAG}-c1`;
const C2 = `vce2e-${TAG}-c2`;
const STOPPED = `vce2e-${TAG}-stopped`;
const MISSING_C = `vce2e-${TAG}-nosuch`;
const A = `vce2e-${TAG}-a`;
const B = `vce2e-${TAG}-b`;
const MISSING_NS = `vce2e-${TAG}-nons`;
const HOST_LINK = `vce2e${TAG}h`; // <= 15 bytes
const SEED = ['centos1', 'centos2'];

let ns: Record<'centos1' | 'centos2' | 'c1' | 'c2' | 'a' | 'b', Ns>;
let pid: Record<'centos1' | 'centos2' | 'c1' | 'c2', number>;

/** Exit 0 and nothing on stderr. */
async function ok(args: string[]): Promise<CliResult> {
  const r = await vethcon(args);
  assert.equal(r.code, 0, show(r));
  assert.equal(r.stderr, '', show(r));
  return r;
}

interface EndExpect {
  ns: Ns;
  ifname: string;
  /** Global addresses the end must have, exactly (as ip prints them: lower case, compressed). */
  cidrs?: string[];
  mtu?: number;
  mac?: string;
}

/** One end as ip -j sees it: a veth, named, up (operstate UP), the MTU/MAC/addresses asked for. */
async function assertEnd(e: EndExpect): Promise<IpLink> {
  let l = await linkInfo(e.ns, e.ifname);
  assert.ok(l, `no link ${e.ifname} in ${e.ns.label}; it has: ${(await links(e.ns)).map((x) => x.ifname).join(' ')}`);
  assert.equal(l.linkinfo?.info_kind, 'veth', `${e.ifname} in ${e.ns.label} is not a veth: ${JSON.stringify(l)}`);
  assert.ok(l.flags.includes('UP'), `${e.ifname} in ${e.ns.label} is not up: ${l.flags}`);
  // operstate follows the carrier through the kernel's linkwatch, which may lag a little.
  const up = await eventually(async () => (l = (await linkInfo(e.ns, e.ifname))!).operstate === 'UP', 5000);
  assert.ok(up, `${e.ifname} in ${e.ns.label}: operstate ${l.operstate}, flags ${l.flags}`);
  assert.ok(l.flags.includes('LOWER_UP'), `${e.ifname} in ${e.ns.label} has no carrier: ${l.flags}`);
  assert.equal(l.mtu, e.mtu ?? 1500, `${e.ifname} in ${e.ns.label}: mtu`);
  if (e.mac) assert.equal(l.address, e.mac.toLowerCase(), `${e.ifname} in ${e.ns.label}: MAC`);
  const global = (l.addr_info ?? []).filter((a) => a.scope === 'global').map((a) => `${a.local}/${a.prefixlen}`).sort();
  assert.deepEqual(global, [...(e.cidrs ?? [])].sort(), `${e.ifname} in ${e.ns.label}: addresses`);
  return l;
}

/** The two links are each other's veth peer. */
function assertPeers(a: IpLink, b: IpLink, sameNs = false): void {
  if (sameNs) {
    assert.equal(a.link, b.ifname, `${a.ifname}'s peer`);
    assert.equal(b.link, a.ifname, `${b.ifname}'s peer`);
  } else {
    assert.equal(a.link_index, b.ifindex, `${a.ifname}'s peer index should be ${b.ifname}'s ifindex`);
    assert.equal(b.link_index, a.ifindex, `${b.ifname}'s peer index should be ${a.ifname}'s ifindex`);
    assert.notEqual(a.link_netnsid, undefined, `${a.ifname}'s peer should be in another namespace`);
  }
}

async function assertPair(a: EndExpect, b: EndExpect, sameNs = false): Promise<[IpLink, IpLink]> {
  const la = await assertEnd(a);
  const lb = await assertEnd(b);
  assertPeers(la, lb, sameNs);
  return [la, lb];
}

async function assertGone(where: Ns, ifname: string): Promise<void> {
  const l = await linkInfo(where, ifname);
  assert.equal(l, undefined, `${ifname} should be gone from ${where.label}`);
}

/** `docker exec C ping -c2 -W 2 ADDR` succeeds. */
async function ping(container: string, address: string): Promise<void> {
  const out = await docker(['exec', container, 'ping', '-c2', '-W', '2', address], 30_000);
  assert.match(out, /[12] packets received/, out);
}

/** Link lists of every namespace a test touches, and the host. */
const everywhere = (): Ns[] => [HOST, ns.c1, ns.c2, ns.a, ns.b];

describe('e2e: the vethcon CLI, as a user types it', function () {
  this.timeout(120_000);

  before(async function () {
    this.timeout(180_000);
    await requireE2E(this);
    await Promise.all([...SEED, C1, C2, STOPPED].map((c) => startContainer(c)));
    await stopContainer(STOPPED);
    await netnsAdd(A);
    await netnsAdd(B);
    pid = {
      centos1: await containerPid('centos1'), centos2: await containerPid('centos2'),
      c1: await containerPid(C1), c2: await containerPid(C2),
    };
    ns = {
      centos1: pidNs(pid.centos1, 'container centos1'), centos2: pidNs(pid.centos2, 'container centos2'),
      c1: pidNs(pid.c1, `container ${C1}`), c2: pidNs(pid.c2, `container ${C2}`),
      a: netnsNs(A), b: netnsNs(B),
    };
  });

  after(async function () {
    this.timeout(120_000);
    // Everything, whatever happened (and quietly: a skipped run created nothing).
    await Promise.all([...SEED, C1, C2, STOPPED].map((c) => removeContainer(c).catch(() => {})));
    await Promise.all([A, B, MISSING_NS, `vce2e-${TAG}-gone`].map((n) => netnsDel(n).catch(() => {})));
    await ipIn(HOST, 'link', 'del', HOST_LINK).catch(() => {});
  });

  // ------------------------------------------------------------------ seed
  describe('the seed: centos1 <-> centos2', () => {
    it('vethcon -d centos1:nic1:10.10.1.2/24 -d centos2:nic2:10.10.1.3/24, then centos1 pings 10.10.1.3', async () => {
      const r = await ok(['-d', 'centos1:nic1:10.10.1.2/24', '-d', 'centos2:nic2:10.10.1.3/24']);
      assert.match(r.stdout, /connected container centos1 nic1 \(10\.10\.1\.2\/24\) <-> container centos2 nic2 \(10\.10\.1\.3\/24\)/);
      await assertPair(
        { ns: ns.centos1, ifname: 'nic1', cidrs: ['10.10.1.2/24'] },
        { ns: ns.centos2, ifname: 'nic2', cidrs: ['10.10.1.3/24'] });
      await ping('centos1', '10.10.1.3');
    });

    it('then vethcon -d centos1:test1:10.10.2.2/24 -d centos2:test2:10.10.2.3/24 on the same containers; both pairs work', async () => {
      await ok(['-d', 'centos1:test1:10.10.2.2/24', '-d', 'centos2:test2:10.10.2.3/24']);
      await assertPair(
        { ns: ns.centos1, ifname: 'test1', cidrs: ['10.10.2.2/24'] },
        { ns: ns.centos2, ifname: 'test2', cidrs: ['10.10.2.3/24'] });
      await ping('centos1', '10.10.2.3');
      // The first pair is untouched.
      await assertPair(
        { ns: ns.centos1, ifname: 'nic1', cidrs: ['10.10.1.2/24'] },
        { ns: ns.centos2, ifname: 'nic2', cidrs: ['10.10.1.3/24'] });
      await ping('centos2', '10.10.1.2');
      assert.deepEqual((await links(ns.centos1)).map((l) => l.ifname).sort(), ['lo', 'nic1', 'test1']);
      assert.deepEqual((await links(ns.centos2)).map((l) => l.ifname).sort(), ['lo', 'nic2', 'test2']);
    });
  });

  // ------------------------------------------------------- kinds of ends
  describe('every kind of end, options and output', () => {
    it('-d container:link with no address: both ends up, no addresses', async () => {
      await ok(['-d', `${C1}:bare1`, '-d', `${C2}:bare2`]);
      await assertPair({ ns: ns.c1, ifname: 'bare1', cidrs: [] }, { ns: ns.c2, ifname: 'bare2', cidrs: [] });
    });

    it('container <-> netns: -d C:x:CIDR -n NS:y:CIDR, the container pings the netns', async () => {
      await ok(['-d', `${C1}:cn1:10.20.1.1/24`, '-n', `${A}:cn2:10.20.1.2/24`]);
      await assertPair({ ns: ns.c1, ifname: 'cn1', cidrs: ['10.20.1.1/24'] }, { ns: ns.a, ifname: 'cn2', cidrs: ['10.20.1.2/24'] });
      await ping(C1, '10.20.1.2');
    });

    it('netns <-> netns: -n A:x:CIDR -n B:y:CIDR', async () => {
      await ok(['-n', `${A}:nn1:10.20.2.1/24`, '-n', `${B}:nn2:10.20.2.2/24`]);
      await assertPair({ ns: ns.a, ifname: 'nn1', cidrs: ['10.20.2.1/24'] }, { ns: ns.b, ifname: 'nn2', cidrs: ['10.20.2.2/24'] });
    });

    it('the ES module build of the command (dist/src/cli/bin.js) does the same as the bin', async () => {
      const r = await vethcon(['-n', `${A}:em1:10.20.9.1/24`, '-n', `${B}:em2:10.20.9.2/24`, '--json'], { cli: CLI_ESM });
      assert.equal(r.code, 0, show(r));
      assert.equal(r.stderr, '', show(r));
      assert.equal(JSON.parse(r.stdout).ok, true, show(r));
      await assertPair({ ns: ns.a, ifname: 'em1', cidrs: ['10.20.9.1/24'] }, { ns: ns.b, ifname: 'em2', cidrs: ['10.20.9.2/24'] });
      const bad = await vethcon(['-n', `${A}:em1:10.20.9.3/24`, '-n', `${B}:em3`], { cli: CLI_ESM });
      assert.equal(bad.code, 2, show(bad));
      assert.match(bad.stderr, /a link named em1 already exists/, show(bad));
      assert.equal((await vethcon(['--version'], { cli: CLI_ESM })).stdout, `vethcon ${PKG_VERSION}\n`);
    });

    it('PID (a container\'s, from docker inspect): -p PID,link,CIDR and -p PID:link:CIDR', async () => {
      await ok(['-p', `${pid.c2},pp1,10.20.3.1/24`, '-n', `${B},pp2,10.20.3.2/24`]);
      await assertPair({ ns: ns.c2, ifname: 'pp1', cidrs: ['10.20.3.1/24'] }, { ns: ns.b, ifname: 'pp2', cidrs: ['10.20.3.2/24'] });
      await ok(['-p', `${pid.c2}:pc1:10.20.4.1/24`, '-d', `${C1}:pc2:10.20.4.2/24`]);
      await assertPair({ ns: ns.c2, ifname: 'pc1', cidrs: ['10.20.4.1/24'] }, { ns: ns.c1, ifname: 'pc2', cidrs: ['10.20.4.2/24'] });
      await ping(C1, '10.20.4.1');
    });

    it('namespace file: -a /run/netns/NS,link,CIDR', async () => {
      await ok(['-a', `/run/netns/${A},ap1,10.20.5.1/24`, '-d', `${C2},ap2,10.20.5.2/24`]);
      await assertPair({ ns: ns.a, ifname: 'ap1', cidrs: ['10.20.5.1/24'] }, { ns: ns.c2, ifname: 'ap2', cidrs: ['10.20.5.2/24'] });
      await ping(C2, '10.20.5.1');
    });

    it('both ends in one namespace (the container by name and by PID)', async () => {
      await ok(['-d', `${C1}:s1:10.20.7.1/24`, '-p', `${pid.c1}:s2:10.20.7.2/24`]);
      await assertPair({ ns: ns.c1, ifname: 's1', cidrs: ['10.20.7.1/24'] }, { ns: ns.c1, ifname: 's2', cidrs: ['10.20.7.2/24'] }, true);
    });

    it('koko comma syntax with IPv4 + IPv6 between two containers; IPv6, off in Docker containers, is back on the link; ping both', async () => {
      const sysctl = (c: string, key: string) => docker(['exec', c, 'cat', `/proc/sys/net/ipv6/conf/${key}/disable_ipv6`]);
      assert.equal(await sysctl(C1, 'default'), '1', 'Docker should have switched IPv6 off in the container (the premise of this test)');
      await ok(['-d', `${C1},eth1,192.168.1.1/24,2001:db8::1/64`, '-d', `${C2},eth1,192.168.1.2/24,2001:db8::2/64`]);
      await assertPair(
        { ns: ns.c1, ifname: 'eth1', cidrs: ['192.168.1.1/24', '2001:db8::1/64'] },
        { ns: ns.c2, ifname: 'eth1', cidrs: ['192.168.1.2/24', '2001:db8::2/64'] });
      assert.equal(await sysctl(C1, 'eth1'), '0', 'disable_ipv6 on eth1 in c1');
      assert.equal(await sysctl(C2, 'eth1'), '0', 'disable_ipv6 on eth1 in c2');
      assert.equal(await sysctl(C1, 'default'), '1', 'only the link is changed, not the container default');
      await ping(C1, '2001:db8::2');
      await ping(C1, '192.168.1.2');
    });

    it('per-end MTU and MAC: --mtu/--mac after an end, and mtu=/mac= items', async () => {
      await ok(['-n', `${A}:m1:10.20.6.1/30`, '--mtu', '9000', '--mac', '02:00:5e:10:00:01',
        '-d', `${C1},m2,10.20.6.2/30,mtu=4000,mac=02:00:5E:10:00:02`]);
      await assertPair(
        { ns: ns.a, ifname: 'm1', cidrs: ['10.20.6.1/30'], mtu: 9000, mac: '02:00:5e:10:00:01' },
        { ns: ns.c1, ifname: 'm2', cidrs: ['10.20.6.2/30'], mtu: 4000, mac: '02:00:5e:10:00:02' });
      // --mtu applies to the end just before it, here the second one only.
      await ok(['-d', `${C1}:m3`, '-n', `${A}:m4`, '--mtu', '1400']);
      await assertPair({ ns: ns.c1, ifname: 'm3', mtu: 1500 }, { ns: ns.a, ifname: 'm4', mtu: 1400 });
    });

    it('-c: the current (host) namespace, and -C to delete it', async () => {
      await ok(['-c', `${HOST_LINK},10.20.9.1/24`, '-n', `${B},hn,10.20.9.2/24`]);
      await assertPair({ ns: HOST, ifname: HOST_LINK, cidrs: ['10.20.9.1/24'] }, { ns: ns.b, ifname: 'hn', cidrs: ['10.20.9.2/24'] });
      const r = await ok(['-C', HOST_LINK]);
      assert.match(r.stdout, new RegExp(`deleted ${HOST_LINK} in current netns`));
      await assertGone(HOST, HOST_LINK);
      await assertGone(ns.b, 'hn');
    });

    it('--json prints the result as JSON, with the ifindexes ip sees', async () => {
      const r = await ok(['--json', '-d', `${C1}:j1:10.20.10.1/24`, '-n', `${A}:j2:10.20.10.2/24`, '--mtu', '2000']);
      const out = JSON.parse(r.stdout);
      const [l1, l2] = await assertPair({ ns: ns.c1, ifname: 'j1', cidrs: ['10.20.10.1/24'] }, { ns: ns.a, ifname: 'j2', cidrs: ['10.20.10.2/24'], mtu: 2000 });
      assert.deepEqual(out, {
        ok: true,
        ends: [
          { endpoint: `container ${C1}`, ifname: 'j1', ifindex: l1.ifindex, addresses: ['10.20.10.1/24'] },
          { endpoint: `netns ${A}`, ifname: 'j2', ifindex: l2.ifindex, addresses: ['10.20.10.2/24'], mtu: 2000 },
        ],
      });
    });

    it('--json reports an error as JSON too (exit 2)', async () => {
      const before = await snapshot(everywhere());
      const r = await vethcon(['--json', '-d', `${C1}:j3`, '-d', `${MISSING_C}:j4`]);
      assert.equal(r.code, 2, show(r));
      const out = JSON.parse(r.stdout);
      assert.equal(out.ok, false);
      assert.equal(out.error.kind, 'DockerError');
      assert.equal(out.error.code, 'ENOCONTAINER');
      assert.ok(out.error.message.includes(MISSING_C), out.error.message);
      assert.ok(r.stderr.includes(MISSING_C), show(r));
      assert.deepEqual(await snapshot(everywhere()), before);
    });

    it('--dry-run prints the requests by name and changes nothing (text and --json)', async () => {
      const before = await snapshot(everywhere());
      const args = ['-d', `${C1},dr1,10.20.8.1/24,2001:db8:8::1/64`, '-n', `${A}:dr2:10.20.8.2/24`, '--mtu', '9000'];
      const r = await ok(['--dry-run', ...args]);
      assert.match(r.stdout, /^dry run: checked, the names are free; nothing is sent/);
      assert.match(r.stdout, new RegExp(`1\\. in container ${C1}: create veth dr1 \\(up\\) with peer dr2 placed directly in netns ${A}`));
      assert.match(r.stdout, /add 10\.20\.8\.1\/24 to dr1/);
      assert.match(r.stdout, /add 2001:db8:8::1\/64 to dr1 \(no DAD/);
      assert.match(r.stdout, /add 10\.20\.8\.2\/24 to dr2/);
      assert.match(r.stdout, /set dr2 up/);
      assert.match(r.stdout, /^ {3}RTM_NEWLINK NLM_F_REQUEST\|NLM_F_ACK\|NLM_F_ECHO\|NLM_F_CREATE\|NLM_F_EXCL header\{flags=1 change=1\} IFLA_GROUP=\d+ IFLA_IFNAME="dr1" IFLA_LINKINFO=\{IFLA_INFO_KIND="veth" .*IFLA_MTU=9000 /m, 'each step shows its request by name');
      const j = await ok(['--dry-run', '--json', ...args]);
      const out = JSON.parse(j.stdout);
      assert.equal(out.ok, true);
      assert.equal(out.dryRun, true);
      // Create, mark (both ends), addresses, then completion: the peer's (with up), ours last.
      assert.deepEqual(out.steps.map((s: { netns: string }) => s.netns),
        [`container ${C1}`, `container ${C1}`, `netns ${A}`, `container ${C1}`, `container ${C1}`, `netns ${A}`, `netns ${A}`, `container ${C1}`]);
      for (const s of out.steps) assert.match(s.hex, /^[0-9a-f]+$/);
      assert.equal(out.steps[0].request.type, 'RTM_NEWLINK');
      assert.equal(out.steps[0].request.attrs.IFLA_IFNAME, 'dr1');
      // A delete's dry run checks the link is there: nosuch1 is not (exit 2); lo is.
      const del = await vethcon(['--dry-run', '-D', `${C1},nosuch1`]);
      assert.equal(del.code, 2, show(del));
      assert.match(del.stderr, new RegExp(`there is no link named nosuch1 in container ${C1}`));
      const delJson = JSON.parse((await ok(['--dry-run', '--json', '-D', `${C1},lo`])).stdout);
      assert.deepEqual(delJson.steps.map((s: { netns: string; request: { type: string; attrs: object } }) => [s.netns, s.request.type, s.request.attrs]),
        [[`container ${C1}`, 'RTM_DELLINK', { IFLA_IFNAME: 'lo' }]]);
      assert.deepEqual(await snapshot(everywhere()), before, 'a dry run must change nothing');
    });

    it('-D container,link deletes the link and its peer', async () => {
      await ok(['-d', `${C1}:dd1:10.50.1.1/24`, '-n', `${A}:dd2:10.50.1.2/24`]);
      await assertPair({ ns: ns.c1, ifname: 'dd1', cidrs: ['10.50.1.1/24'] }, { ns: ns.a, ifname: 'dd2', cidrs: ['10.50.1.2/24'] });
      const r = await ok(['-D', `${C1},dd1`]);
      assert.equal(r.stdout, `deleted dd1 in container ${C1}\n`);
      await assertGone(ns.c1, 'dd1');
      await assertGone(ns.a, 'dd2');
    });

    it('-N netns,link deletes the link and its peer', async () => {
      await ok(['-n', `${A}:dn1`, '-n', `${B}:dn2`]);
      await assertPair({ ns: ns.a, ifname: 'dn1' }, { ns: ns.b, ifname: 'dn2' });
      const r = await ok(['-N', `${B},dn2`]);
      assert.equal(r.stdout, `deleted dn2 in netns ${B}\n`);
      await assertGone(ns.b, 'dn2');
      await assertGone(ns.a, 'dn1');
    });

    it('-P pid,link deletes the link and its peer', async () => {
      await ok(['-p', `${pid.c2},dp1`, '-d', `${C1},dp2`]);
      await assertPair({ ns: ns.c2, ifname: 'dp1' }, { ns: ns.c1, ifname: 'dp2' });
      const r = await ok(['-P', `${pid.c2},dp1`]);
      assert.equal(r.stdout, `deleted dp1 in pid ${pid.c2}\n`);
      await assertGone(ns.c2, 'dp1');
      await assertGone(ns.c1, 'dp2');
    });

    it('-D both ends of one pair in one command (the second went with the first): exit 0, --json', async () => {
      await ok(['-d', `${C1}:db1`, '-d', `${C2}:db2`]);
      const r = await ok(['--json', '-D', `${C1},db1`, '-D', `${C2},db2`]);
      const out = JSON.parse(r.stdout);
      assert.equal(out.ok, true);
      assert.deepEqual(out.deleted.map((d: { ifname: string }) => d.ifname), ['db1', 'db2']);
      await assertGone(ns.c1, 'db1');
      await assertGone(ns.c2, 'db2');
    });

    it('--help and -h exit 0 with the syntax and examples (no arguments is a usage error: see the malformed table)', async () => {
      for (const args of [['--help'], ['-h']]) {
        const r = await ok(args);
        assert.match(r.stdout, /^vethcon: connect network namespaces with a veth pair/, show(r));
        assert.match(r.stdout, /Usage:/);
        assert.match(r.stdout, /Examples:\n {2}vethcon -d centos1:nic1:10\.10\.1\.2\/24 -d centos2:nic2:10\.10\.1\.3\/24\n/);
        assert.match(r.stdout, /vethcon -D c1,eth1/);
        assert.match(r.stdout, /Exit status: 0 done; 2 usage or validation error/);
      }
    });

    it('--version and -V print the package version', async () => {
      for (const flag of ['--version', '-V']) {
        const r = await ok([flag]);
        assert.equal(r.stdout, `vethcon ${PKG_VERSION}\n`);
      }
    });
  });

  // ---------------------------------------------------- malformed table
  describe('malformed or impossible invocations: exit 2, the culprit named, nothing changed anywhere', () => {
    let dead: number;

    before(async () => {
      // Names already taken: a veth pair inside container c1 and inside netns A.
      await ipIn(ns.c1, 'link', 'add', 'ctaken', 'type', 'veth', 'peer', 'name', 'ctakenp');
      await ipIn(ns.a, 'link', 'add', 'ntaken', 'type', 'veth', 'peer', 'name', 'ntakenp');
      dead = deadPid();
    });

    /** [why, argv, exit code, what stderr must mention]. $X placeholders are filled in at run time. */
    const TABLE: [string, string[], number, string[]][] = [
      ['one end only', ['-d', '$C1:x1:10.30.0.1/24'], 2, ['exactly two', 'got 1']],
      ['three ends', ['-d', '$C1:x1', '-d', '$C2:x2', '-n', '$A:x3'], 2, ['exactly two', 'got 3']],
      ['unknown option', ['-d', '$C1:x1', '-d', '$C2:x2', '--frobnicate'], 2, ['unknown option --frobnicate']],
      ['unexpected argument', ['-d', '$C1:x1', '-d', '$C2:x2', 'stray'], 2, ['"stray"']],
      ['-d without its value', ['-d', '$C1:x1', '-d'], 2, ['-d needs a value']],
      ['--mtu without its value', ['-d', '$C1:x1', '-d', '$C2:x2', '--mtu'], 2, ['--mtu needs a value']],
      ['-d value that is an option', ['-d', '-n', '$A:x3', '-d', '$C2:x2'], 2, ['-d needs a value']],
      ['--mtu before any end', ['--mtu', '1500', '-d', '$C1:x1', '-d', '$C2:x2'], 2, ['--mtu applies to the end given before it']],
      ['-d without a link name', ['-d', '$C1', '-d', '$C2:x2'], 2, ['-d $C1', 'expected CONTAINER:LINK']],
      ['-d with an empty container', ['-d', ':x1', '-d', '$C2:x2'], 2, ['container is missing']],
      ['the colon and comma forms mixed in one end', ['-n', '$A:x1,mtu=1400', '-d', '$C2:x2'], 2, ['-n $A:x1,mtu=1400', 'do not mix']],
      ['-c in the colon form, which it does not take', ['-c', 'hc0:10.30.9.1/24', '-n', '$A:x2'], 2, ['did you mean -c hc0,10.30.9.1/24?']],
      ['-c without a link', ['-c'], 2, ['-c needs a value']],
      ['-c with an empty link name', ['-c', ',10.30.0.1/24', '-d', '$C2:x2'], 2, ['-c', 'link name is missing']],
      ['container name with /', ['-d', 'bad/name:x1', '-d', '$C2:x2'], 2, ['"bad/name"']],
      ['container name with a space', ['-d', 'my box,x1', '-d', '$C2:x2'], 2, ['"my box"']],
      ['missing container', ['-d', '$C1:x1', '-d', '$MISSING_C:x2'], 2, ['"$MISSING_C"', 'does not exist']],
      ['stopped container', ['-d', '$STOPPED:x1', '-d', '$C2:x2'], 2, ['"$STOPPED"', 'not running']],
      ['missing netns', ['-n', '$MISSING_NS:x1', '-d', '$C2:x2'], 2, ['netns $MISSING_NS', 'not found']],
      ['netns name with /', ['-n', 'a/b,x1', '-d', '$C2:x2'], 2, ['"a/b"']],
      ['missing PID', ['-p', '$DEAD:x1', '-d', '$C2:x2'], 2, ['pid $DEAD', 'no such process']],
      ['PID not a number', ['-p', 'abc:x1', '-d', '$C2:x2'], 2, ['"abc"', 'not a number']],
      ['PID 0', ['-p', '0,x1', '-d', '$C2:x2'], 2, ['"0"', 'not a process id']],
      ['PID too big for a number', ['-p', '99999999999999999999,x1', '-d', '$C2:x2'], 2, ['"99999999999999999999"']],
      ['missing namespace file', ['-a', '/run/netns/$MISSING_NS,x1', '-d', '$C2:x2'], 2, ['/run/netns/$MISSING_NS', 'no such file']],
      ['a file that is no namespace', ['-a', '/etc/passwd,x1', '-d', '$C2:x2'], 2, ['/etc/passwd', 'not a namespace file']],
      ['relative namespace path', ['-a', 'run/netns/x,x1', '-d', '$C2:x2'], 2, ['"run/netns/x"', 'absolute']],
      ['name of 16 bytes', ['-d', '$C1:abcdefghijklmnop', '-d', '$C2:x2'], 2, ['"abcdefghijklmnop"', '16 bytes']],
      ['name of 8 characters but 16 bytes', ['-d', '$C1,éééééééé', '-d', '$C2:x2'], 2, ['"éééééééé"', '16 bytes']],
      ["name with '/'", ['-d', '$C1,a/b', '-d', '$C2:x2'], 2, ['"a/b"', "'/'"]],
      ["name with ':'", ['-d', '$C1,a:b', '-d', '$C2,x2'], 2, ['"a:b"']],
      ['name with a space', ['-d', '$C1,a b', '-d', '$C2,x2'], 2, ['"a b"']],
      ["name '.'", ['-n', '$A,.', '-d', '$C2,x2'], 2, ['"."']],
      ['same name twice in one netns', ['-n', '$A:dup0', '-n', '$A:dup0'], 2, ['dup0', 'netns $A']],
      ['same name twice in one container (by name and by PID)', ['-d', '$C1:dup1', '-p', '$PID1:dup1'], 2, ['dup1', 'container $C1']],
      ['name taken in the first namespace', ['-d', '$C1:ctaken', '-d', '$C2:x2'], 2, ['ctaken', 'already exists', 'container $C1']],
      ['name taken in the second namespace', ['-d', '$C2:x2', '-n', '$A:ntaken'], 2, ['ntaken', 'already exists', 'netns $A']],
      ['the peer name taken (a veth peer counts)', ['-d', '$C2:x2', '-d', '$C1:ctakenp'], 2, ['ctakenp', 'container $C1']],
      ['address without prefix', ['-d', '$C1:x1:10.30.0.1', '-d', '$C2:x2:10.30.0.2/24'], 2, ['"10.30.0.1"', 'prefix length']],
      ['prefix too big (IPv4)', ['-d', '$C1:x1:10.30.0.1/33', '-d', '$C2:x2'], 2, ['"10.30.0.1/33"', '0..32']],
      ['bad IPv4 address', ['-d', '$C1:x1:10.30.0.256/24', '-d', '$C2:x2'], 2, ['"10.30.0.256/24"', 'IPv4']],
      ['bad IPv6 address', ['-d', '$C1,x1,2001:db8::zz/64', '-d', '$C2,x2'], 2, ['"2001:db8::zz/64"', 'IPv6']],
      ['IPv6 with two ::', ['-d', '$C1,x1,2001::db8::1/64', '-d', '$C2,x2'], 2, ['"2001::db8::1/64"']],
      ['prefix too big (IPv6)', ['-d', '$C1,x1,2001:db8::1/129', '-d', '$C2,x2'], 2, ['"2001:db8::1/129"', '0..128']],
      ['same address on both ends', ['-d', '$C1,x1,10.30.1.1/24', '-d', '$C2,x2,10.30.1.1/24'], 2, ['both ends', '10.30.1.1']],
      ['same IPv6 address on both ends, spelled differently', ['-d', '$C1,x1,2001:db8::7/64', '-d', '$C2,x2,2001:DB8:0::7/64'], 2, ['both ends', '2001:db8::7/64', '2001:DB8:0::7/64']],
      ['same address twice on one end', ['-d', '$C1,x1,10.30.2.1/24,10.30.2.1/24', '-d', '$C2,x2'], 2, ['10.30.2.1/24', 'twice']],
      ['MTU too small', ['-d', '$C1,x1,mtu=67', '-d', '$C2,x2'], 2, ['MTU 67', 'at least 68']],
      ['MTU too big', ['-d', '$C1,x1', '--mtu', '65536', '-d', '$C2,x2'], 2, ['MTU 65536', 'at most 65535']],
      ['MTU not a number', ['-d', '$C1,x1', '--mtu', '9k', '-d', '$C2,x2'], 2, ['MTU "9k"', 'not a number']],
      ['MAC with five bytes', ['-d', '$C1,x1,mac=02:00:00:00:00', '-d', '$C2,x2'], 2, ['"02:00:00:00:00"']],
      ['MAC not hex', ['-d', '$C1,x1', '--mac', '02:00:00:00:00:zz', '-d', '$C2,x2'], 2, ['"02:00:00:00:00:zz"']],
      ['multicast MAC', ['-d', '$C1,x1', '-d', '$C2,x2', '--mac', '01:00:5e:00:00:01'], 2, ['01:00:5e:00:00:01', 'multicast']],
      ['broadcast MAC', ['-d', '$C1,x1,mac=ff:ff:ff:ff:ff:ff', '-d', '$C2,x2'], 2, ['ff:ff:ff:ff:ff:ff', 'multicast']],
      ['connect and delete flags mixed', ['-d', '$C1:x1', '-d', '$C2:x2', '-D', '$C1,ctaken'], 2, ['not both']],
      ['-D without a link', ['-D', '$C1'], 2, ['-D $C1', 'expected -D TARGET,LINK']],
      ['-D with a bad link name', ['-D', '$C1,abcdefghijklmnop'], 2, ['"abcdefghijklmnop"']],
      ['-D a link that does not exist', ['-D', '$C1,nosuch0'], 2, ['no link named nosuch0', 'container $C1']],
      ['-N a link that does not exist', ['-N', '$A,nosuch1'], 2, ['no link named nosuch1', 'netns $A']],
      ['-D in a missing container', ['-D', '$MISSING_C,x1'], 2, ['"$MISSING_C"', 'does not exist']],
      ['-N in a missing netns', ['-N', '$MISSING_NS,x1'], 2, ['netns $MISSING_NS', 'not found']],
      ['-P with a missing PID', ['-P', '$DEAD,x1'], 2, ['pid $DEAD', 'no such process']],
      ['-D two links, the second missing: the first is kept', ['-D', '$C1,ctaken', '-D', '$C1,nosuch2'], 2, ['no link named nosuch2']],
      // Refused before any change, though the kernel (or iproute2) would take them and do something else.
      ["'%' in names (the kernel's template: ve%d would become ve0)", ['-d', '$C1,ve%d', '-d', '$C2,vf%d'], 2, ['end 1 ifname', '"ve%d"', "'%'"]],
      ["name x%s", ['-d', '$C1,x%s', '-d', '$C2,x2'], 2, ['"x%s"', "'%'"]],
      ["name 'all' (reserved by /proc/sys/net/ipv4/conf)", ['-d', '$C1,all', '-d', '$C2,x2'], 2, ['"all"', 'reserved']],
      ["name 'default'", ['-d', '$C1,x1', '-n', '$A,default'], 2, ['end 2 ifname', '"default"', 'reserved']],
      ['name with U+00A0 (the kernel counts the byte 0xA0 as white space)', ['-d', '$C1,nb\u00a0sp', '-d', '$C2,x2'], 2, ['0xA0']],
      ['address 0.0.0.0/24 (the kernel would add none)', ['-d', '$C1,x1,0.0.0.0/24', '-d', '$C2,x2'], 2, ['"0.0.0.0/24"', 'unspecified']],
      ['IPv4 before :: (1.2.3.4::/64)', ['-d', '$C1,x1,1.2.3.4::/64', '-d', '$C2,x2'], 2, ['"1.2.3.4::/64"', 'IPv6']],
      ['prefix with a leading zero (/024: octal 20 to iproute2)', ['-d', '$C1:x1:10.30.3.1/024', '-d', '$C2:x2'], 2, ['"10.30.3.1/024"', 'leading zero']],
      ['all-zero MAC', ['-d', '$C1,x1,mac=00:00:00:00:00:00', '-d', '$C2,x2'], 2, ['00:00:00:00:00:00', 'all zeros']],
      ['MTU below 1280 with an IPv6 address', ['-d', '$C1,x1,2001:db8:30::1/64', '--mtu', '1200', '-d', '$C2,x2'], 2, ['end 1 mtu', 'MTU 1200', '1280']],
      ['a mount namespace file (-a /proc/PID/ns/mnt)', ['-a', '/proc/$PID1/ns/mnt,x1', '-d', '$C2,x2'], 2, ['/proc/$PID1/ns/mnt', 'not a network namespace']],
      ['no arguments', [], 2, ['nothing to do', 'Usage:']],
    ];

    const fill = (s: string): string => s
      .replace(/\$MISSING_C/g, MISSING_C).replace(/\$MISSING_NS/g, MISSING_NS).replace(/\$STOPPED/g, STOPPED)
      .replace(/\$C1/g, C1).replace(/\$C2/g, C2).replace(/\$A/g, A)
      .replace(/\$PID1/g, String(pid.c1)).replace(/\$DEAD/g, String(dead));

    TABLE.forEach(([why, argvT, code, mentionsT], i) => {
      it(`${String(i + 1).padStart(2)}. ${why}: vethcon ${argvT.join(' ')}`, async () => {
        const argv = argvT.map(fill);
        const nss = everywhere();
        const before = await snapshot(nss);
        const r = await vethcon(argv);
        assert.equal(r.code, code, `exit code\n${show(r)}`);
        assert.equal(r.stdout, '', `nothing on stdout\n${show(r)}`);
        assert.match(r.stderr, /^vethcon: /, show(r));
        for (const m of mentionsT.map(fill)) assert.ok(r.stderr.includes(m), `stderr should name ${JSON.stringify(m)}\n${show(r)}`);
        const after = await snapshot(nss);
        assert.deepEqual(after, before, `link lists changed\nbefore: ${namesOf(before)}\nafter:  ${namesOf(after)}\n${show(r)}`);
      });
    });

    it(`the table has at least 30 rows (${TABLE.length})`, () => {
      assert.ok(TABLE.length >= 30);
    });
  });

  // ------------------------------------------------------------- faults
  describe('stopped by a signal', () => {
    for (const [sig, code] of [['SIGINT', 130], ['SIGTERM', 143]] as const) {
      it(`${sig} between validation and wiring: exit ${code}, it says so, nothing changed`, async () => {
        const nss = everywhere();
        const before = await snapshot(nss);
        let sent = false;
        const r = await vethcon(['-d', `${C1}:sg1:10.20.7.1/24`, '-n', `${A}:sg2:10.20.7.2/24`], {
          env: { VETHCON_TEST_PAUSE_BEFORE_WIRING_MS: '5000' },
          onStderr: (all, child) => {
            if (sent || !all.includes(PAUSE_ANNOUNCEMENT)) return;
            sent = true;
            child.kill(sig);
          },
        });
        assert.ok(sent, `the CLI never announced its pause:\n${show(r)}`);
        assert.equal(r.code, code, show(r));
        assert.ok(r.ms < 4000, `it stopped at once, not after the pause: ${show(r)}`);
        assert.match(r.stderr, new RegExp(`interrupted \\(${sig}\\): stopped before any change, nothing was done`), show(r));
        assert.deepEqual(await snapshot(nss), before, show(r));
      });
    }
  });

  describe('without the privileges it needs', () => {
    it('root with no capabilities (setpriv): exit 2 (refused before any change), EPERM and the need for root named, nothing changed', async () => {
      const nss = everywhere();
      const before = await snapshot(nss);
      const r = await vethcon(['-n', `${A}:np1:10.20.8.1/24`, '-n', `${B}:np2:10.20.8.2/24`], { wrap: ['setpriv', '--inh-caps=-all', '--bounding-set=-all'] });
      assert.equal(r.code, 2, show(r));
      // The cause itself, not the worker's failure to go home that entering never left.
      assert.match(r.stderr, new RegExp(`netns ${A}: setns: Operation not permitted \\(EPERM\\)`), show(r));
      assert.doesNotMatch(r.stderr, /home netns/, show(r));
      assert.match(r.stderr, /vethcon needs root/, show(r));
      assert.deepEqual(await snapshot(nss), before, show(r));
    });
  });

  describe('faults between validation and wiring (VETHCON_TEST_PAUSE_BEFORE_WIRING_MS): exit 1, nothing left behind', () => {
    /**
     * Run `args` paused; during the pause create a placeholder veth NAME/tmpx in
     * `where`. The CLI must exit 1 naming NAME, and only the placeholder is left.
     */
    async function nameTakenDuringPause(args: string[], where: Ns, name: string): Promise<void> {
      const nss = everywhere();
      const before = await snapshot(nss);
      const placeholderPeer = 'tmpx';
      try {
        const r = await vethconWithFault(args, 3000, async () => {
          await ipIn(where, 'link', 'add', name, 'type', 'veth', 'peer', 'name', placeholderPeer);
        });
        assert.equal(r.code, 1, show(r));
        assert.match(r.stderr, new RegExp(`a link named ${name} appeared in ${where.label} after it was checked`), show(r));
        assert.match(r.stderr, /EEXIST/, show(r));
        const after = await snapshot(nss);
        // Only our placeholder pair is new, in `where`, and it is still its own pair.
        const added = after[where.label].filter((l) => !before[where.label].some((b) => b.ifindex === l.ifindex));
        assert.deepEqual(added.map((l) => l.ifname).sort(), [name, placeholderPeer].sort(), `new links in ${where.label}`);
        const ph = added.find((l) => l.ifname === name)!;
        assert.equal(ph.link, placeholderPeer, 'the placeholder is still paired with its own peer');
        after[where.label] = after[where.label].filter((l) => !added.includes(l));
        assert.deepEqual(after, before, `link lists changed\nbefore: ${namesOf(before)}\nafter:  ${namesOf(after)}\n${show(r)}`);
      } finally {
        await ipIn(where, 'link', 'del', name).catch(() => {});
      }
    }

    it('(a) the second end\'s name is taken in the netns during the pause', async () => {
      await nameTakenDuringPause(['-d', `${C1}:fa1:10.40.0.1/24`, '-n', `${A}:fa2:10.40.0.2/24`], ns.a, 'fa2');
    });

    it('(a) the second end\'s name is taken in the second container during the pause', async () => {
      await nameTakenDuringPause(['-n', `${A}:fb1:10.40.1.1/24`, '-d', `${C2},fb2,10.40.1.2/24,2001:db8:40::2/64`], ns.c2, 'fb2');
    });

    it('(a) the first end\'s name is taken in the first container during the pause', async () => {
      await nameTakenDuringPause(['-d', `${C1}:fc1`, '-d', `${C2}:fc2`], ns.c1, 'fc1');
    });

    it('a named netns is deleted during the pause', async () => {
      const gone = `vce2e-${TAG}-gone`;
      await netnsAdd(gone);
      try {
        const nss = [HOST, ns.c1];
        const before = await snapshot(nss);
        const r = await vethconWithFault(['-d', `${C1}:fg1:10.40.2.1/24`, '-n', `${gone}:fg2:10.40.2.2/24`], 3000, () => netnsDel(gone));
        assert.equal(r.code, 1, show(r));
        assert.ok(r.stderr.includes(`netns ${gone}`), show(r));
        assert.match(r.stderr, /not found/, show(r));
        assert.deepEqual(await snapshot(nss), before);
      } finally {
        await netnsDel(gone);
      }
    });

    // Last: it stops centos2.
    it('(b) the second container (centos2) stops during the pause: nothing left in centos1 or the host', async () => {
      const nss = [HOST, ns.centos1];
      const before = await snapshot(nss);
      // Stopping centos2 destroys its namespace, and with it the veths of earlier tests whose
      // peers live there (the seed's nic1/test1): the kernel removes those from centos1 too.
      const inCentos2 = await links(ns.centos2);
      const peeredWithCentos2 = (l: IpLink) => l.link_netnsid !== undefined
        && inCentos2.some((p) => p.ifindex === l.link_index && p.link_index === l.ifindex && p.link_netnsid !== undefined);
      const expected = { ...before, [ns.centos1.label]: before[ns.centos1.label].filter((l) => !peeredWithCentos2(l)) };
      const r = await vethconWithFault(['-d', 'centos1:fs1:10.40.3.1/24', '-d', 'centos2:fs2:10.40.3.2/24'], 5000,
        () => docker(['stop', '-t', '0', 'centos2']).then(() => {}));
      assert.equal(await docker(['inspect', '-f', '{{.State.Running}}', 'centos2']), 'false', 'centos2 was stopped');
      assert.equal(r.code, 1, show(r));
      assert.match(r.stderr, /container centos2 stopped while it was being wired/, show(r));
      const after = await snapshot(nss);
      assert.deepEqual(after, expected, `link lists changed\nexpected: ${namesOf(expected)}\nafter:    ${namesOf(after)}\n${show(r)}`);
      await assertGone(ns.centos1, 'fs1');
    });
  });
});
