// Labs without a kernel: the file's rules and messages (with JSON paths),
// its JSON Schema, the command's words, the report, and the difference
// between a lab and what is there (diff.ts is pure: it is given states).

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../support/fixtures.js';
import { labJsonSchema, parseLab, linkKey } from '../../src/lab/index.js';
import { netnsNamesIn } from '../../src/lab/file.js';
import { diff, type DiffInput } from '../../src/lab/diff.js';
import { derivedVni, hostShare } from '../../src/lab/hosts.js';
import type { NamespaceState, SeenLink } from '../../src/lab/observe.js';
import type { Link } from '../../src/api/convert.js';
import type { Netns } from '../../src/api/netns.js';
import { parseArgs, UsageError } from '../../src/cli/args.js';
import { labReport, progressLine } from '../../src/cli/lab.js';
import { ValidationError } from '../../src/rules/index.js';
import { parseMark } from '../../src/wire/mark.js';

const ISSUE_EXAMPLE = {
  name: 'lab1',
  nodes: { r1: { container: 'centos1' }, r2: { netns: 'red' }, h: { pid: 4242 }, host: { current: true } },
  links: [{ endpoints: ['r1:eth1:10.0.0.1/30', 'r2:eth1:10.0.0.2/30'], mtu: 9000 },
    { endpoints: ['r2:eth2', 'host:lab-r2'] }],
};

function refused(value: unknown): string {
  try {
    parseLab(value, 'lab.json');
  } catch (e) {
    assert.ok(e instanceof ValidationError, `not a ValidationError: ${e}`);
    return e.message;
  }
  assert.fail('the lab was accepted');
}

describe('lab files: rules and model', () => {
  it('reads the issue\'s example: nodes by kind, ends spelled out, the link MTU on both ends', () => {
    const lab = parseLab(ISSUE_EXAMPLE);
    assert.deepEqual(lab.nodes.r1!.place, { type: 'docker', container: 'centos1' });
    assert.deepEqual(lab.nodes.r2!.place, { type: 'netns', name: 'red' });
    assert.deepEqual(lab.nodes.h!.place, { type: 'pid', pid: 4242 });
    assert.deepEqual(lab.nodes.host!.place, { type: 'current' });
    assert.deepEqual(lab.links[0]!.ends, [
      { node: 'r1', ifname: 'eth1', addresses: ['10.0.0.1/30'], mtu: 9000 },
      { node: 'r2', ifname: 'eth1', addresses: ['10.0.0.2/30'], mtu: 9000 },
    ]);
    assert.deepEqual(lab.links[1]!.ends[1], { node: 'host', ifname: 'lab-r2', addresses: [] });
    assert.equal(lab.links[0]!.key, linkKey('r1', 'eth1'));
    assert.match(lab.links[0]!.key, /^[0-9a-f]{12}$/);
  });

  it('takes IPv6 and several addresses in the string form, and per-end settings in the object form', () => {
    const lab = parseLab({ name: 'x', nodes: { a: { netns: 'a' }, b: { netns: 'b' } }, defaults: { mtu: 1400 }, links: [
      { endpoints: ['a:e0:10.0.0.1/30,2001:db8::1/64', { node: 'b', ifname: 'e0', addresses: ['10.0.0.2/30'], mtu: 1500, mac: '02:AA:00:00:00:01' }] },
    ] });
    assert.deepEqual(lab.links[0]!.ends[0], { node: 'a', ifname: 'e0', addresses: ['10.0.0.1/30', '2001:db8::1/64'], mtu: 1400 });
    assert.deepEqual(lab.links[0]!.ends[1], { node: 'b', ifname: 'e0', addresses: ['10.0.0.2/30'], mtu: 1500, mac: '02:aa:00:00:00:01' });
  });

  it('names every problem with its JSON path', () => {
    const msg = refused({ name: 'x', nodes: { a: { netns: 'a' } }, links: [
      { endpoints: ['a:e1', 'b:e2:1.2.3.4/99'] }, { endpoints: ['a:e1'] }, { endpoints: ['a:this-name-is-too-long', 'a:ok'] },
    ] });
    assert.match(msg, /lab\.json: links\[0\]\.endpoints\[1\]: address "1\.2\.3\.4\/99" has a prefix length outside 0\.\.32/);
    assert.match(msg, /lab\.json: links\[0\]\.endpoints\[1\]: node "b" is not in nodes/);
    assert.match(msg, /lab\.json: links\[1\]\.endpoints: a veth link has two ends; got 1/);
    assert.match(msg, /lab\.json: links\[1\]\.endpoints\[0\]: e1 in node a is already an end of links\[0\]\.endpoints\[0\]/);
    assert.match(msg, /lab\.json: links\[2\]\.endpoints\[0\]: interface name "this-name-is-too-long"/);
  });

  it('refuses unknown keys, a node of two kinds, a bad MTU and a bad lab name, by path', () => {
    assert.match(refused({ ...ISSUE_EXAMPLE, extra: 1 }), /lab\.json: \(top\): Unrecognized key: "extra"/);
    assert.match(refused({ ...ISSUE_EXAMPLE, nodes: { r1: { container: 'c', netns: 'n' } } }), /lab\.json: nodes\.r1: /);
    assert.match(refused({ ...ISSUE_EXAMPLE, links: [{ endpoints: ['r1:a', 'r2:b'], mtu: 20 }] }), /lab\.json: links\[0\]\.mtu: /);
    assert.match(refused({ ...ISSUE_EXAMPLE, name: 'no spaces' }), /lab\.json: name: a lab name is letters/);
    assert.match(refused({ ...ISSUE_EXAMPLE, links: [{ endpoints: ['r1:a', 'r2:b'], vxlan: { vni: 1, remote: '192.0.2.1', parent: 'eth0' }, macvlan: { parent: 'eth0' } }] }), /links\[0\]: a link is one kind; it sets vxlan and macvlan/);
    assert.match(refused({ ...ISSUE_EXAMPLE, nodes: { ...ISSUE_EXAMPLE.nodes, z: { netns: 'z', host: 'far' } } }), /nodes\.z\.host: host "far" is not in hosts/);
    assert.match(refused({ ...ISSUE_EXAMPLE, hosts: { a: { underlay: '192.0.2.1' } } }), /nodes\.r1: the lab names hosts, so each node says which it is on \("host": "a"\)/);
    assert.match(refused({ ...ISSUE_EXAMPLE, links: [{ endpoints: ['r1:a', 'r2:b'], vni: 7 }] }), /links\[0\]: vni and port are for links between hosts; this lab names no hosts/);
  });

  it('takes the lab files the README shows', () => {
    const readme = readFileSync(join(repoRoot, 'README.md'), 'utf8');
    // JSON blocks that are one object with nodes and links (others show output, several lines of it).
    const one = (text: string): { nodes?: unknown; links?: unknown } => { try { return JSON.parse(text); } catch { return {}; } };
    const labs = [...readme.matchAll(/```json\n([\s\S]*?)```/g)].map((m) => one(m[1]!)).filter((v) => v.nodes && v.links);
    assert.ok(labs.length >= 2, 'the README shows lab files');
    for (const lab of labs) parseLab(lab, 'README');
  });

  it('exports a JSON Schema (draft 2020-12) that names every top-level key and refuses others', () => {
    const schema = labJsonSchema() as { $schema: string; properties: Record<string, unknown>; required: string[]; additionalProperties: boolean };
    assert.match(schema.$schema, /2020-12/);
    assert.deepEqual(Object.keys(schema.properties).sort(), ['$schema', 'defaults', 'hosts', 'links', 'name', 'nodes']);
    assert.deepEqual([...schema.required].sort(), ['links', 'name', 'nodes']);
    assert.equal(schema.additionalProperties, false);
  });
});

describe('lab files: the first look (file.ts)', () => {
  it('finds the named namespaces of unchecked JSON, and nothing in what is not a lab', () => {
    assert.deepEqual(netnsNamesIn(ISSUE_EXAMPLE), ['red']);
    assert.deepEqual(netnsNamesIn({ nodes: { a: { netns: 'x' }, b: { netns: 7 }, c: null, d: 'y', e: { netns: 'z', pid: 1 } } }), ['x', 'z']);
    for (const v of [null, 3, 'lab', [], {}, { nodes: null }, { nodes: 'x' }]) assert.deepEqual(netnsNamesIn(v), []);
  });

  it('splits string ends at their first two colons, whatever follows', () => {
    const lab = parseLab({ name: 'l', nodes: { a: { netns: 'a' }, b: { netns: 'b' } }, links: [
      { endpoints: ['a:e1:', 'b:e1:2001:db8::1/64,,10.0.0.2/30'] },
      { endpoints: ['a:e2', 'b:e2:10.0.0.6/30,'] },
    ] });
    assert.deepEqual(lab.links.map((l) => l.ends.map((e) => [e.node, e.ifname, e.addresses])), [
      [['a', 'e1', []], ['b', 'e1', ['2001:db8::1/64', '10.0.0.2/30']]],
      [['a', 'e2', []], ['b', 'e2', ['10.0.0.6/30']]],
    ]);
    assert.ok(!('mtu' in lab.links[0]!.ends[0]!), 'no mtu key when none is set');
    assert.match(refused({ name: 'l', nodes: { a: { netns: 'a' } }, links: [{ endpoints: ['a', 'a:'] }] }), /endpoints\[0\]: "a" is not node:ifname/);
  });
});

describe('lab commands: the words', () => {
  it('parses apply, destroy and schema', () => {
    assert.deepEqual(parseArgs(['apply', 'lab.json']), { action: 'apply', file: 'lab.json', prune: false, dryRun: false, watch: false, json: false });
    assert.deepEqual(parseArgs(['apply', '--prune', '--json', 'lab.json', '--dry-run']), { action: 'apply', file: 'lab.json', prune: true, dryRun: true, watch: false, json: true });
    assert.deepEqual(parseArgs(['destroy', 'lab.json', '--json']), { action: 'destroy', file: 'lab.json', dryRun: false, json: true });
    assert.deepEqual(parseArgs(['schema']), { action: 'schema' });
    assert.deepEqual(parseArgs(['apply', '--help']), { action: 'help' });
  });

  it('refuses what it does not take, naming it', () => {
    const refuse = (argv: string[], re: RegExp): void => assert.throws(() => parseArgs(argv), (e: unknown) => e instanceof UsageError && re.test(e.message));
    refuse(['apply'], /apply: which lab\? give the lab file/);
    refuse(['apply', 'a.json', 'b.json'], /apply takes one lab file; got 2/);
    refuse(['destroy', '--prune', 'a.json'], /destroy: unknown option --prune/);
    refuse(['apply', '--watch', '--dry-run', 'a.json'], /--watch and --dry-run do not go together/);
    refuse(['schema', 'x'], /schema takes no arguments/);
  });
});

describe('lab progress', () => {
  const sink = (isTTY: boolean) => ({ isTTY, text: '', write(s: string) { this.text += s; } });
  it('on a terminal, once the run has taken a second: done/total, then the line cleared', () => {
    const out = sink(true);
    let t = 0;
    const line = progressLine('apply w6', out, () => t);
    line.update(10, 1000);
    assert.equal(out.text, '', 'nothing in the first second');
    t = 1500;
    line.update(300, 1000);
    line.update(1000, 1000);
    line.end();
    assert.equal(out.text, '\rapply w6: 300/1000 links\rapply w6: 1000/1000 links\r\x1b[K');
  });
  it('nothing when stderr is not a terminal', () => {
    const out = sink(false);
    let t = 0;
    const line = progressLine('apply w6', out, () => t);
    t = 5000;
    line.update(1, 2);
    line.end();
    assert.equal(out.text, '');
  });
});

describe('lab report', () => {
  const end = (node: string, ifname: string) => ({ node, endpoint: `netns ${node}`, ifname, addresses: [] });
  it('says nothing changed, and counts', () => {
    const text = labReport({ lab: 'l', dryRun: false, changed: false, notes: [], links: [{ index: 0, link: 'a:e <-> b:e', action: 'unchanged', changes: [], ends: [end('a', 'e'), end('b', 'e')] }] });
    assert.equal(text, 'lab l: nothing to change (1 unchanged)\n');
  });
  it('in a dry run says what would be done', () => {
    const text = labReport({ lab: 'l', dryRun: true, changed: true, notes: [], links: [
      { index: 0, link: 'a:e <-> b:e', action: 'created', changes: ['create'], ends: [] },
      { index: 1, link: 'a:f <-> b:f', action: 'updated', changes: ['a:f mtu 1500 -> 9000'], ends: [] },
    ] });
    assert.equal(text, 'lab l (dry run: nothing was changed): 1 would be created, 1 would be updated\n  would create a:e <-> b:e\n  would update a:f <-> b:f (a:f mtu 1500 -> 9000)\n');
  });
});

// ------------------------------------------------------------------- diff

const NS = {} as Netns;
let nextIndex = 10;
function seen(ifname: string, o: Partial<Link> & { mark?: string; addresses?: string[] } = {}): SeenLink {
  const { mark, addresses = [], ...rest } = o;
  const link: Link = { ifindex: nextIndex++, ifname, kind: 'veth', flags: ['UP'], up: true, operstate: 'UP', mtu: 1500, alias: mark, ...rest };
  const m = parseMark(mark);
  return { link, addresses, ...(m ? { mark: m } : {}) };
}
function state(identity: string, label: string, links: SeenLink[], lab = 'l'): NamespaceState {
  return {
    ns: NS, label, identity,
    byName: new Map(links.map((s) => [s.link.ifname, s])),
    byIndex: new Map(links.map((s) => [s.link.ifindex, s])),
    ours: links.filter((s) => s.mark?.fields.lab === lab),
  };
}
/** Two ends of one healthy pair of lab `l`, link `key`, in two namespaces. */
function pair(key: string, a: [string, string[]], b: [string, string[]], id = 'aaaaaaaaaaaaaaaa'): [SeenLink, SeenLink] {
  const mark = `vethcon:v1:${id}:lab=l:link=${key}`;
  const sa = seen(a[0], { mark, addresses: a[1], linkNetnsid: 0 });
  const sb = seen(b[0], { mark, addresses: b[1], linkNetnsid: 0 });
  sa.link.link = sb.link.ifindex;
  sb.link.link = sa.link.ifindex;
  return [sa, sb];
}

describe('labs across hosts: a host\'s share', () => {
  const lab = parseLab({ name: 'f', hosts: { a: { underlay: '192.0.2.1' }, b: { underlay: '192.0.2.2' } },
    nodes: { a1: { netns: 'a1', host: 'a' }, a2: { netns: 'a2', host: 'a' }, b1: { netns: 'b1', host: 'b' } },
    links: [{ endpoints: ['a1:x', 'a2:x'] }, { endpoints: ['b1:y:10.0.0.2/30', 'a1:y:10.0.0.1/30'] }, { endpoints: ['b1:z', 'a2:z'], vni: 99, port: 8472 }, { endpoints: ['b1:w', 'b1:v'] }] });
  const underlay = { ifname: 'eth0', ifindex: 2, mtu: 9000, address: '192.0.2.1' };
  it('keeps same-host links, turns links to other hosts into vxlan ends, leaves the other hosts\' links', () => {
    const share = hostShare(lab, 'a', underlay);
    assert.deepEqual([...share.nodes].sort(), ['a1', 'a2']);
    assert.deepEqual(share.links.map((l) => [l.index, l.kind]), [[0, 'veth'], [1, 'vxlan'], [2, 'vxlan']]);
    const y = share.links[1]!;
    assert.deepEqual(y.ends, [{ node: 'a1', ifname: 'y', addresses: ['10.0.0.1/30'], mtu: 8950 }]);
    assert.deepEqual(y.vxlan, { vni: derivedVni('f', lab.links[1]!.key), remote: '192.0.2.2', parent: 'eth0', port: 4789 });
    assert.equal(y.key, lab.links[1]!.key, 'the same key on both hosts');
    assert.deepEqual(share.links[2]!.vxlan, { vni: 99, remote: '192.0.2.2', parent: 'eth0', port: 8472 });
    const other = hostShare(lab, 'b', { ...underlay, address: '192.0.2.2' });
    assert.equal(other.links[0]!.vxlan!.vni, y.vxlan!.vni, 'both hosts derive the same VNI');
    assert.equal(other.links[0]!.vxlan!.remote, '192.0.2.1');
  });
  it('refuses an MTU the underlay cannot carry', () => {
    const big = parseLab({ name: 'f', hosts: { a: { underlay: '192.0.2.1' }, b: { underlay: '192.0.2.2' } }, nodes: { a1: { netns: 'a1', host: 'a' }, b1: { netns: 'b1', host: 'b' } }, links: [{ endpoints: ['a1:y', 'b1:y'], mtu: 1480 }] });
    assert.throws(() => hostShare(big, 'a', { ...underlay, mtu: 1500 }), /links\[0\]: MTU 1480 for a1:y cannot fit: the underlay "eth0" has MTU 1500, and VXLAN takes 50 bytes of it \(at most 1450\)/);
  });
  it('derives a VNI in 1..2^24-1, stable', () => {
    const v = derivedVni('lab', 'abc');
    assert.equal(v, derivedVni('lab', 'abc'));
    assert.ok(v >= 1 && v < 1 << 24);
    assert.notEqual(v, derivedVni('lab2', 'abc'));
  });
});

describe('lab diff (pure)', () => {
  const lab = parseLab({ name: 'l', nodes: { a: { netns: 'a' }, b: { netns: 'b' } }, links: [{ endpoints: ['a:e1:10.0.0.1/30', 'b:e1:10.0.0.2/30'], mtu: 9000 }] });
  const key = lab.links[0]!.key;
  const input = (sa: SeenLink[], sb: SeenLink[], more: Partial<DiffInput> = {}): DiffInput => ({
    lab: 'l', links: lab.links, states: new Map([['a', state('1:1', 'netns a', sa)], ['b', state('1:2', 'netns b', sb)]]), absent: new Map(), ...more,
  });

  it('creates what is not there', () => {
    assert.deepEqual(diff(input([], [])).map((s) => s.op), ['create']);
  });

  it('leaves a healthy pair that matches the file', () => {
    const [x, y] = pair(key, ['e1', ['10.0.0.1/30']], ['e1', ['10.0.0.2/30']]);
    x.link.mtu = y.link.mtu = 9000;
    assert.deepEqual(diff(input([x], [y])).map((s) => s.op), ['unchanged']);
  });

  it('fixes addresses, MTU and state in place', () => {
    const [x, y] = pair(key, ['e1', ['10.0.0.9/30']], ['e1', ['10.0.0.2/30']]);
    x.link.mtu = 1500; y.link.mtu = 9000; y.link.up = false;
    const [step] = diff(input([x], [y]));
    assert.equal(step!.op, 'update');
    const changes = step!.op === 'update' ? step!.changes : [];
    assert.deepEqual(changes.map((c) => [c.end.node, c.add, c.remove, c.mtu?.to, c.up]), [['a', ['10.0.0.1/30'], ['10.0.0.9/30'], 9000, false], ['b', [], [], undefined, true]]);
  });

  it('compares addresses, not their spelling or order; a MAC in any case; an end down is one change', () => {
    const two = parseLab({ name: 'l', nodes: { a: { netns: 'a' }, b: { netns: 'b' } }, links: [{ endpoints: [
      { node: 'a', ifname: 'e1', addresses: ['10.0.0.1/30', '2001:DB8:0::1/64'], mac: '02:AA:00:00:00:01' }, 'b:e1:10.0.0.2/30'] }] });
    const k = two.links[0]!.key;
    const run = (a: string[], b: string[], mac = '02:aa:00:00:00:01', up = true) => {
      const [x, y] = pair(k, ['e1', a], ['e1', b]);
      x.link.address = mac;
      x.link.up = up;
      return diff({ lab: 'l', links: two.links, states: new Map([['a', state('1:1', 'netns a', [x])], ['b', state('1:2', 'netns b', [y])]]), absent: new Map() });
    };
    assert.deepEqual(run(['10.0.0.1/30', '2001:db8::1/64'], ['10.0.0.2/30']).map((s) => s.op), ['unchanged']);
    assert.deepEqual(run(['2001:db8::1/64', '10.0.0.1/30'], ['10.0.0.2/30']).map((s) => s.op), ['unchanged']);
    assert.deepEqual(run(['10.0.0.1/30', '2001:db8::1/64'], ['10.0.0.2/30'], '02:AA:00:00:00:01').map((s) => s.op), ['unchanged']);
    const [down] = run(['10.0.0.1/30', '2001:db8::1/64'], ['10.0.0.2/30'], '02:aa:00:00:00:01', false);
    assert.deepEqual(down!.op === 'update' ? down!.changes.map((c) => [c.end.node, c.add, c.remove, c.up]) : [], [['a', [], [], true]]);
    const [moved] = run(['10.0.0.1/30', '2001:db8::2/64'], ['10.0.0.2/30', '10.0.0.6/30']);
    assert.deepEqual(moved!.op === 'update' ? moved!.changes.map((c) => [c.end.node, c.add, c.remove]) : [],
      [['a', ['2001:DB8:0::1/64'], ['2001:db8::2/64']], ['b', [], ['10.0.0.6/30']]]);
  });

  it('makes a link again when what is there is only part of it, or two pairs', () => {
    const [x] = pair(key, ['e1', []], ['e1', []]);
    assert.deepEqual(diff(input([x], [])).map((s) => s.op), ['recreate']);
    const [p] = pair(key, ['e1', []], ['zz', []], 'aaaaaaaaaaaaaaaa');
    const [, q] = pair(key, ['yy', []], ['e1', []], 'bbbbbbbbbbbbbbbb');
    const steps = diff(input([p], [q]));
    assert.equal(steps[0]!.op, 'recreate');
    assert.deepEqual(steps[0]!.op === 'recreate' && steps[0]!.old.map((o) => o.id).sort(), ['aaaaaaaaaaaaaaaa', 'bbbbbbbbbbbbbbbb']);
  });

  it('refuses a name held by something not of this lab, before any change', () => {
    assert.throws(() => diff(input([seen('e1')], [])), /links\[0\]: "e1" is taken in netns a \(node a\) by a link that is not made by vethcon.*\nnothing was changed/s);
    assert.throws(() => diff(input([], [seen('e1', { mark: 'vethcon:v1:cccccccccccccccc:lab=other:link=abc' })])), /by a link that is lab other's/);
  });

  it('lists links of the lab the file no longer names, for --prune', () => {
    const [x, y] = pair('0123456789ab', ['old', []], ['old', []]);
    const steps = diff(input([x], [y]));
    assert.deepEqual(steps.map((s) => s.op).sort(), ['create', 'remove']);
  });

  it('waits for a node that is away', () => {
    const steps = diff({ lab: 'l', links: lab.links, states: new Map([['a', state('1:1', 'netns a', [])]]), absent: new Map([['b', { why: 'not running' }]]) });
    assert.deepEqual(steps.map((s) => [s.op, s.op === 'waiting' && s.why]), [['waiting', 'node b: not running']]);
  });
});
