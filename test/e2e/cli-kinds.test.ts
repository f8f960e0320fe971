// The command line's ends of another kind (-x vxlan, -M macvlan, -V vlan)
// and --dry-run's live checks, run as a user runs them (a child process,
// exit code, stdout, stderr) and checked with `ip -j` (the independent
// oracle). The vxlan ends are made with the command run inside a vckind-
// namespace (`ip netns exec`), whose veth is the parent: the underlay is
// two namespaces the test makes, and no traffic leaves them.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { requireE2E, show, vethcon, type CliResult } from './cli-helpers.js';

const made: string[] = [];
function ip(...args: string[]): string {
  return execFileSync('ip', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}
function netns(): string {
  const name = `vckind-${randomBytes(4).toString('hex')}`;
  ip('netns', 'add', name);
  made.push(name);
  return name;
}
const names = (ns: string): string[] => (JSON.parse(ip('-j', '-n', ns, 'link', 'show')) as { ifname: string }[]).map((l) => l.ifname).sort();

async function exits(code: number, args: string[], wrap?: string[]): Promise<CliResult> {
  const r = await vethcon(args, { wrap });
  assert.equal(r.code, code, show(r));
  return r;
}

describe('vethcon -x/-M/-V and --dry-run (e2e)', function () {
  this.timeout(120_000);
  let p1: string, p2: string, a: string, b: string;
  const inP1 = (): string[] => ['ip', 'netns', 'exec', p1];
  const inP2 = (): string[] => ['ip', 'netns', 'exec', p2];

  before(async function () {
    await requireE2E(this);
    [p1, p2, a, b] = [netns(), netns(), netns(), netns()];
    ip('-n', p1, 'link', 'add', 'u1', 'type', 'veth', 'peer', 'name', 'u2', 'netns', p2);
    ip('-n', p1, 'addr', 'add', '192.168.78.1/24', 'dev', 'u1');
    ip('-n', p2, 'addr', 'add', '192.168.78.2/24', 'dev', 'u2');
    ip('-n', p1, 'link', 'set', 'u1', 'up');
    ip('-n', p2, 'link', 'set', 'u2', 'up');
  });

  after(() => {
    for (const n of made.splice(0)) {
      try { ip('netns', 'del', n); } catch { /* gone */ }
    }
  });

  it('-x: a vxlan end made on the parent of the namespace vethcon runs in; ping crosses; -N deletes it', async () => {
    const r = await exits(0, ['-n', `${a}:vx0:10.9.5.1/24`, '-x', 'u1,192.168.78.2,42'], inP1());
    assert.equal(r.stdout, `made vxlan vx0 in netns ${a} (10.9.5.1/24) on u1 of current netns: id 42, remote 192.168.78.2, learning true, port 4789\n`);
    const j = JSON.parse((await exits(0, ['-n', `${b},vx0,10.9.5.2/24,mtu=1400`, '-x', 'u2,192.168.78.1,42', '--json'], inP2())).stdout);
    assert.equal(j.ok, true);
    assert.equal(j.kind, 'vxlan');
    assert.deepEqual(j.end.addresses, ['10.9.5.2/24']);
    const l = JSON.parse(ip('-j', '-d', '-n', b, 'link', 'show', 'vx0'))[0];
    assert.equal(l.linkinfo.info_kind, 'vxlan');
    assert.equal(l.mtu, 1400);
    assert.equal(l.ifindex, j.end.ifindex);
    const out = execFileSync('ip', ['netns', 'exec', a, 'busybox', 'ping', '-c', '2', '-W', '2', '10.9.5.2'], { encoding: 'utf8' });
    assert.match(out, /2 packets received/);
    await exits(0, ['-N', `${a},vx0`, '-N', `${b},vx0`]);
    assert.deepEqual(names(a), ['lo']);
    assert.deepEqual(names(b), ['lo']);
  });

  it('-M: a macvlan end; -V: refused by this kernel, exit 1, nothing left', async () => {
    await exits(0, ['-n', `${a},mv0,10.9.6.1/24`, '-M', 'u1,private'], inP1());
    const l = JSON.parse(ip('-j', '-d', '-n', a, 'link', 'show', 'mv0'))[0];
    assert.equal(l.linkinfo.info_data.mode, 'private');
    await exits(0, ['-N', `${a},mv0`]);
    const v = await exits(1, ['-n', `${a},vl0,10.9.7.1/24`, '-V', 'u1,10'], inP1());
    assert.match(v.stderr, /^vethcon: cannot create vlan vl0 in netns vckind-\w+ on u1 of current netns: .*Unknown device type \(this kernel has no support for this kind of link\)\n/);
    assert.deepEqual(names(a), ['lo']);
    assert.deepEqual(names(p1), ['lo', 'u1']);
  });

  describe('--dry-run makes the live checks of a real run', () => {
    it('-N NETNS:LINK --dry-run --json: JSON, with the request by name; a missing link: exit 2', async () => {
      ip('-n', a, 'link', 'add', 'd0', 'type', 'veth', 'peer', 'name', 'd1');
      const r = await exits(0, ['-N', `${a}:d0`, '--dry-run', '--json']);
      const out = JSON.parse(r.stdout);
      assert.equal(out.dryRun, true);
      assert.deepEqual(out.steps[0].request.type, 'RTM_DELLINK');
      assert.deepEqual(out.steps[0].request.flags, ['NLM_F_REQUEST', 'NLM_F_ACK']);
      assert.deepEqual(out.steps[0].request.attrs, { IFLA_IFNAME: 'd0' });
      assert.ok(names(a).includes('d0'), 'a dry run deletes nothing');
      const missing = await exits(2, ['-N', `${a}:nope`, '--dry-run', '--json']);
      assert.equal(JSON.parse(missing.stdout).error.kind, 'NotFoundError');
      assert.match(missing.stderr, /there is no link named nope in netns vckind-/);
      ip('-n', a, 'link', 'del', 'd0');
    });

    it('a missing container, a name taken, a missing namespace, a missing parent: exit 2 and why, no plan', async () => {
      ip('-n', a, 'link', 'add', 'taken', 'type', 'veth', 'peer', 'name', 'taken1');
      const cases: [string[], RegExp][] = [
        [['-d', `vckind-no-such-${randomBytes(3).toString('hex')}:e0`, '-n', `${a}:e1`], /container "vckind-no-such-\w+" does not exist/],
        [['-n', `${a}:taken`, '-n', `${b}:e1`], /a link named taken already exists in netns vckind-/],
        [['-n', `vckind-missing-${randomBytes(3).toString('hex')}:e0`, '-n', `${a}:e1`], /vckind-missing-\w+: not found in \/run\/netns/],
        [['-n', `${a}:vx9`, '-x', 'nope0,192.0.2.2,5'], /there is no link named nope0 in current netns to be the parent of the vxlan/],
        [['-n', `${a}:taken`, '-M', 'u1'], /a link named taken already exists/],
      ];
      for (const [args, re] of cases) {
        const r = await exits(2, [...args, '--dry-run'], args.includes('-M') ? inP1() : undefined);
        assert.match(r.stderr, re, show(r));
        assert.doesNotMatch(r.stdout, /dry run/, show(r));
      }
      ip('-n', a, 'link', 'del', 'taken');
    });

    it('a plan shows each request decoded with names, text and --json; nothing changes', async () => {
      const before = [names(a), names(b), names(p1)];
      const t = await exits(0, ['-n', `${a}:dr0:10.9.8.1/24`, '-n', `${b}:dr1:10.9.8.2/24`, '--dry-run']);
      assert.match(t.stdout, /^dry run: checked, the names are free; nothing is sent/);
      assert.match(t.stdout, /\n {3}RTM_NEWLINK NLM_F_REQUEST\|NLM_F_ACK\|NLM_F_ECHO\|NLM_F_CREATE\|NLM_F_EXCL header\{flags=1 change=1\} IFLA_GROUP=\d+ IFLA_IFNAME="dr0" IFLA_LINKINFO=\{IFLA_INFO_KIND="veth" /);
      assert.match(t.stdout, /RTM_NEWADDR NLM_F_REQUEST\|NLM_F_ACK\|NLM_F_CREATE\|NLM_F_EXCL header\{family=2 prefixlen=24\} IFA_LOCAL="10.9.8.1"/);
      const j = JSON.parse((await exits(0, ['-n', `${a},mv1,10.9.8.3/24`, '-M', 'u1', '--dry-run', '--json'], inP1())).stdout);
      const create = j.steps[0].request;
      assert.equal(create.type, 'RTM_NEWLINK');
      assert.deepEqual(create.flags, ['NLM_F_REQUEST', 'NLM_F_ACK', 'NLM_F_ECHO', 'NLM_F_CREATE', 'NLM_F_EXCL']);
      assert.equal(create.attrs.IFLA_IFNAME, 'mv1');
      assert.equal(create.attrs.IFLA_LINK, JSON.parse(ip('-j', '-n', p1, 'link', 'show', 'u1'))[0].ifindex);
      assert.deepEqual(create.attrs.IFLA_LINKINFO, { IFLA_INFO_KIND: 'macvlan', IFLA_INFO_DATA: { IFLA_MACVLAN_MODE: 'bridge' } });
      assert.deepEqual([names(a), names(b), names(p1)], before, 'a dry run changes nothing');
    });
  });
});
