// `vethcon show` without root: its command line, and the text, Graphviz and
// JSON it makes of a show() result (pure formatters, src/cli/show.ts).

import assert from 'node:assert/strict';
import { parseArgs, UsageError } from '../../src/cli/args.js';
import { linkLine, showDot, showJson, showText } from '../../src/cli/show.js';
import { netnsTargetProblem } from '../../src/rules/index.js';
import type { ShowLink, ShowResult } from '../../src/wire/show.js';

const pair: ShowLink = {
  kind: 'veth', ours: true, mark: { id: '0123456789abcdef', complete: true, lab: 'lab1', link: 'abc123abc123' },
  ends: [
    { netns: 'container c1', ifname: 'eth1', ifindex: 7, kind: 'veth', addresses: ['10.0.0.1/30', 'fe80::1/64'], mtu: 9000, mac: '02:00:00:00:00:01', up: true, operstate: 'UP', mark: { id: '0123456789abcdef', complete: true, lab: 'lab1', link: 'abc123abc123' } },
    { netns: 'container c2', ifname: 'eth1', ifindex: 9, kind: 'veth', addresses: ['10.0.0.2/30'], mtu: 9000, mac: '02:00:00:00:00:02', up: true, operstate: 'UP', mark: { id: '0123456789abcdef', complete: true, lab: 'lab1', link: 'abc123abc123' } },
  ],
};
const theirs: ShowLink = {
  kind: 'veth', ours: false,
  ends: [
    { netns: 'netns red', ifname: 'a0', ifindex: 2, kind: 'veth', addresses: [], mtu: 1500, up: true, operstate: 'UP' },
    { netns: 'nsid 3 (unnamed)', ifindex: 5, addresses: [] },
  ],
};
const vxlan: ShowLink = {
  kind: 'vxlan', ours: true, mark: { id: 'fedcba9876543210', complete: false },
  ends: [{ netns: 'netns red', ifname: 'vx0', ifindex: 4, kind: 'vxlan', addresses: ['10.1.0.1/24'], mtu: 1450, up: false, operstate: 'DOWN',
    parent: { netns: 'current netns', ifindex: 2, ifname: 'eth0' }, vxlan: { vni: 42, remote: '192.0.2.9', port: 4789 } }],
};
const macvlan: ShowLink = {
  kind: 'macvlan', ours: true, mark: { id: '00000000000000aa', complete: true },
  ends: [{ netns: 'container c1', ifname: 'mv0', ifindex: 5, kind: 'macvlan', addresses: [], mtu: 1500, up: true, parent: { netns: 'current netns', ifindex: 3, ifname: 'eth"0' }, macvlan: { mode: 'bridge' } }],
};
const result = (links: ShowLink[]): ShowResult => ({ schema: 1, links, scanned: 4, notes: [] });

describe('vethcon show: command line', () => {
  it('takes --all, --json, --dot and repeated --netns/--container, one --lab (also --opt=value)', () => {
    assert.deepEqual(parseArgs(['show']), { action: 'show', all: false, json: false, dot: false, netns: [], containers: [] });
    assert.deepEqual(parseArgs(['show', '--all', '--json', '--netns', 'red', '--netns=blue', '--container', 'c1', '--lab=lab1']),
      { action: 'show', all: true, json: true, dot: false, netns: ['red', 'blue'], containers: ['c1'], lab: 'lab1' });
    assert.equal((parseArgs(['show', '--dot']) as { dot: boolean }).dot, true);
    assert.deepEqual(parseArgs(['show', '--help']), { action: 'help' });
  });

  for (const [argv, message] of [
    [['show', '--netns'], /--netns needs a value/],
    [['show', '--container', '--all'], /--container needs a value/],
    [['show', '--lab='], /--lab needs a value/],
    [['show', '--lab', 'a', '--lab', 'b'], /--lab once/],
    [['show', '--json', '--dot'], /--json or --dot, not both/],
    [['show', '--bogus'], /unknown option --bogus/],
    [['show', 'red'], /unexpected argument "red"/],
  ] as [string[], RegExp][]) {
    it(`refuses ${argv.join(' ')}`, () => assert.throws(() => parseArgs(argv), (e: unknown) => e instanceof UsageError && message.test(e.message)));
  }

  it('{ container } is a namespace target; an empty or non-string one is refused with what was wrong', () => {
    assert.equal(netnsTargetProblem({ container: 'c1' }), undefined);
    assert.match(netnsTargetProblem({ container: '' })!, /container must be a container's name or id/);
    assert.match(netnsTargetProblem({ container: 5 })!, /got the number 5/);
    assert.match(netnsTargetProblem({ container: 'c1', name: 'x' })!, /exactly one of .*\{ container \}/);
  });
});

describe('vethcon show: text', () => {
  it('a pair: both ends with namespace, name and addresses (no IPv6 link-local), then mtu, state, lab and link key', () => {
    assert.equal(linkLine(pair), 'container c1:eth1 (10.0.0.1/30) <-> container c2:eth1 (10.0.0.2/30) mtu 9000 up lab lab1 link abc123abc123');
  });

  it('ends that differ show each value; a pair not made by vethcon says so; an unnamed end by its ifindex', () => {
    assert.equal(linkLine(theirs), "netns red:a0 <-> nsid 3 (unnamed) ifindex 5 mtu 1500 up (not vethcon's)");
    const mixed = { ...pair, ends: [pair.ends[0], { ...pair.ends[1], mtu: 1500, up: false }] };
    assert.match(linkLine(mixed), / mtu 9000\/1500 up\/down /);
  });

  it('vxlan and macvlan ends: kind, vni, remote and port, parent with its namespace, pending', () => {
    assert.equal(linkLine(vxlan), 'netns red:vx0 (10.1.0.1/24) vxlan vni 42 remote 192.0.2.9 port 4789 via current netns:eth0 mtu 1450 down pending');
    assert.equal(linkLine(macvlan), 'container c1:mv0 macvlan bridge on current netns:eth"0 mtu 1500 up');
  });

  it('one line per link, control characters escaped; none found is said', () => {
    const evil = { ...theirs, ends: [{ ...theirs.ends[0], ifname: 'a\x1b[2J' }, theirs.ends[1]] };
    assert.equal(showText(result([pair, evil])).split('\n').length, 3);
    assert.match(showText(result([evil])), /a\\x1b\[2J/);
    assert.equal(showText(result([])), 'no links made by vethcon found in 4 namespaces\n');
  });
});

describe('vethcon show: --dot', () => {
  it('a node per namespace, an edge per pair labelled with its ifnames; remote and parent edges; quotes escaped', () => {
    const dot = showDot(result([pair, theirs, vxlan, macvlan]));
    assert.match(dot, /^graph vethcon \{\n/);
    assert.match(dot, /\}\n$/);
    for (const n of ['container c1', 'container c2', 'netns red', 'nsid 3 (unnamed)', 'current netns', 'vxlan remote 192.0.2.9']) {
      assert.equal(dot.split('\n').filter((l) => l.startsWith(`  "${n}"`) && !l.includes(' -- ')).length, 1, `one node ${n}:\n${dot}`);
    }
    assert.ok(dot.includes('"container c1" -- "container c2" [label="eth1 - eth1", taillabel="eth1", headlabel="eth1"];'), dot);
    assert.ok(dot.includes('"netns red" -- "nsid 3 (unnamed)" [label="a0 - ifindex 5", taillabel="a0", headlabel="ifindex 5", style=dotted];'), dot);
    assert.ok(dot.includes('"netns red" -- "vxlan remote 192.0.2.9" [label="vx0 vni 42"];'), dot);
    assert.ok(dot.includes('"container c1" -- "current netns" [label="mv0 (macvlan) on eth\\"0", style=dashed];'), dot);
  });
});

describe('vethcon show --json: schema 1', () => {
  it('schema first, then ok, links, scanned and notes; every field as the README documents it', () => {
    const doc = JSON.parse(showJson(result([pair, theirs, vxlan])));
    assert.deepEqual(Object.keys(doc), ['schema', 'ok', 'links', 'scanned', 'notes']);
    assert.equal(doc.schema, 1);
    assert.deepEqual(Object.keys(doc.links[0]), ['kind', 'ours', 'mark', 'ends']);
    assert.deepEqual(Object.keys(doc.links[0].ends[0]), ['netns', 'ifname', 'ifindex', 'kind', 'addresses', 'mtu', 'mac', 'up', 'operstate', 'mark']);
    assert.deepEqual(doc.links[1].ends[1], { netns: 'nsid 3 (unnamed)', ifindex: 5, addresses: [] });
    assert.deepEqual(doc.links[2].ends[0].vxlan, { vni: 42, remote: '192.0.2.9', port: 4789 });
    assert.deepEqual(doc.links[2].mark, { id: 'fedcba9876543210', complete: false });
  });

  it('the JSON is one line, with C1 controls escaped', () => {
    const text = showJson(result([{ ...theirs, ends: [{ ...theirs.ends[0], ifname: 'a\u009b' }, theirs.ends[1]] }]));
    assert.ok(!text.includes('\n') && text.includes('\\u009b'));
  });
});

describe('show() in the library', () => {
  it('is exported with its schema version, and refuses bad filters before looking at anything', async () => {
    const lib = await import('../../src/index.js');
    assert.equal(typeof lib.show, 'function');
    assert.equal(lib.SHOW_SCHEMA, 1);
    await assert.rejects(lib.show({ lab: 'a b' }), (e: unknown) => e instanceof lib.ValidationError && /lab: "a b" is not a lab name/.test(e.message));
    await assert.rejects(lib.show({ netns: { container: '' } }), (e: unknown) => e instanceof lib.ValidationError && /^netns: container must be/.test(e.message));
    await assert.rejects(lib.show({ container: ['c1', ''] }), (e: unknown) => e instanceof lib.ValidationError && /^container\[1\]: /.test(e.message));
  });
});
