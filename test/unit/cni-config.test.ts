// The CNI plugin's input and output without a kernel: the network
// configuration and CNI_* variables (each refusal with the spec's code and
// the field named), matching a container to its lab node, and the chained
// result in each cniVersion's format.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../support/fixtures.js';
import { SUPPORTED_VERSIONS, decodeStdin, labOf, parseConfig, versionAtLeast } from '../../src/cni/config.js';
import { parseCniArgs, readEnv } from '../../src/cni/env.js';
import { CniError, exitStatusOf } from '../../src/cni/errors.js';
import { matchNode } from '../../src/cni/node.js';
import { buildResult } from '../../src/cni/result.js';

const LAB = { name: 'pair', nodes: { a: { pod: 'pod-a' }, b: { pod: 'default/pod-b' }, h: { current: true } }, links: [{ endpoints: ['a:lab0:10.9.0.1/30', 'b:lab0:10.9.0.2/30'] }] };
const good = (extra: Record<string, unknown> = {}): Record<string, unknown> => ({ cniVersion: '1.0.0', name: 'vccni-net', type: 'vethcon', lab: LAB, ...extra });

/** The CniError `fn` throws. */
function refusal(fn: () => unknown): CniError {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof CniError, `not a CniError: ${String(e)}`);
    return e;
  }
  assert.fail('no error');
}

describe('cni: network configuration', () => {
  it('takes a configuration with an inline lab, and the keys every plugin gets', () => {
    const c = parseConfig(good({ args: { cni: { labNode: 'a' } }, runtimeConfig: { labNode: 'b' }, capabilities: { labNode: true }, prevResult: { cniVersion: '1.0.0', interfaces: [], ips: [] }, logFile: '/tmp/x.log', stateDir: '/tmp/s' }));
    assert.equal(c.name, 'vccni-net');
    assert.equal(labOf(c).links.length, 1);
  });

  it('refuses a version it does not speak with code 1, naming the versions it does', () => {
    const e = refusal(() => parseConfig(good({ cniVersion: '2.0.0' })));
    assert.equal(e.code, 1);
    assert.match(e.message, /"2\.0\.0"/);
    assert.equal(e.details, `supported: ${SUPPORTED_VERSIONS.join(', ')}`);
  });

  it('refuses an unknown key with code 2, giving its key and value', () => {
    const e = refusal(() => parseConfig(good({ labfile: '/etc/lab.json' })));
    assert.equal(e.code, 2);
    assert.equal(e.message, 'network configuration: unsupported field "labfile": "/etc/lab.json"');
  });

  it('refuses anything else wrong with code 7, with the JSON path', () => {
    for (const [value, pattern] of [
      [{ ...good(), lab: undefined }, /exactly one of them/],
      [good({ labFile: '/x.json' }), /exactly one of them/],
      [good({ name: '-bad' }), /name: a network name/],
      [good({ logFile: 'relative.log' }), /logFile: logFile must be an absolute path/],
      [good({ runtimeConfig: { labNode: 'a b' } }), /runtimeConfig\.labNode: a lab node name/],
      [[], /must be a JSON object/],
      [{ name: 'x' }, /cniVersion is missing/],
    ] as const) {
      const e = refusal(() => parseConfig(value));
      assert.equal(e.code, 7, JSON.stringify(value));
      assert.match(e.message, pattern);
    }
  });

  it('refuses a lab that is not valid with code 7 and the lab\'s JSON path', () => {
    const c = parseConfig(good({ lab: { ...LAB, links: [{ endpoints: ['a:lab0', 'zz:lab0'] }] } }));
    const e = refusal(() => labOf(c));
    assert.equal(e.code, 7);
    assert.match(e.message, /lab: links\[0\]\.endpoints\[1\]: node "zz" is not in nodes/);
  });

  it('refuses a labFile it cannot read with code 7', () => {
    const e = refusal(() => labOf(parseConfig({ ...good(), lab: undefined, labFile: '/nonexistent/vccni-lab.json' })));
    assert.equal(e.code, 7);
    assert.match(e.message, /cannot read lab file \/nonexistent\/vccni-lab\.json/);
  });

  it('says stdin that is not JSON is code 6', () => {
    assert.equal(refusal(() => decodeStdin('{cniVersion')).code, 6);
  });

  it('compares versions as numbers', () => {
    assert.ok(versionAtLeast('1.1.0', '1.0.0'));
    assert.ok(versionAtLeast('0.4.0', '0.4.0'));
    assert.ok(!versionAtLeast('0.3.1', '0.4.0'));
    assert.ok(versionAtLeast('0.10.0', '0.4.0'));
  });

  it('exits 2 for refused input (codes 1 to 7) and 1 for the rest', () => {
    assert.deepEqual([1, 2, 4, 7, 11, 50, 100, 101, 999].map(exitStatusOf), [2, 2, 2, 2, 1, 1, 1, 1, 1]);
  });
});

describe('cni: environment', () => {
  const base = { CNI_COMMAND: 'ADD', CNI_CONTAINERID: 'c1', CNI_NETNS: '/run/netns/x', CNI_IFNAME: 'eth0', CNI_PATH: '/opt/cni/bin:/usr/lib/cni' };

  it('reads what ADD needs, and CNI_ARGS as pairs', () => {
    const env = readEnv({ ...base, CNI_ARGS: 'IgnoreUnknown=1;K8S_POD_NAME=pod-a;K8S_POD_NAMESPACE=default' });
    assert.deepEqual(env, { command: 'ADD', containerId: 'c1', netns: '/run/netns/x', ifname: 'eth0', args: { IgnoreUnknown: '1', K8S_POD_NAME: 'pod-a', K8S_POD_NAMESPACE: 'default' }, path: ['/opt/cni/bin', '/usr/lib/cni'] });
  });

  it('names every missing or malformed variable, with code 4', () => {
    const e = refusal(() => readEnv({ CNI_COMMAND: 'ADD', CNI_CONTAINERID: '-x', CNI_NETNS: 'relative' }));
    assert.equal(e.code, 4);
    assert.equal(e.message, 'CNI_CONTAINERID "-x" is not a container id (a letter or digit, then letters, digits, _ . -); CNI_NETNS "relative" is not an absolute path; CNI_IFNAME is not set');
    assert.equal(refusal(() => readEnv({})).message, 'CNI_COMMAND is not set');
    assert.match(refusal(() => readEnv({ ...base, CNI_COMMAND: 'add' })).message, /CNI_COMMAND "add" is not one of ADD, DEL, CHECK, VERSION, STATUS, GC/);
    assert.equal(refusal(() => readEnv({ ...base, CNI_ARGS: 'K8S_POD_NAME' })).code, 4);
  });

  it('lets DEL go without CNI_NETNS (the namespace may be gone), and STATUS, GC, VERSION without the container', () => {
    assert.equal(readEnv({ CNI_COMMAND: 'DEL', CNI_CONTAINERID: 'c1', CNI_IFNAME: 'eth0' }).netns, undefined);
    for (const c of ['STATUS', 'GC', 'VERSION']) assert.equal(readEnv({ CNI_COMMAND: c }).command, c);
  });

  it('parses CNI_ARGS values holding "="', () => {
    assert.deepEqual(parseCniArgs('A=b=c;;D='), { A: 'b=c', D: '' });
  });
});

describe('cni: which lab node a container is', () => {
  const config = parseConfig(good());
  const lab = labOf(config);

  it('matches K8S_POD_NAME, alone or with its namespace', () => {
    assert.deepEqual(matchNode(lab, { K8S_POD_NAME: 'pod-a' }, config), { node: 'a', by: 'K8S_POD_NAME pod-a' });
    assert.equal(matchNode(lab, { K8S_POD_NAME: 'pod-b', K8S_POD_NAMESPACE: 'default' }, config)?.node, 'b');
    assert.equal(matchNode(lab, { K8S_POD_NAME: 'pod-b', K8S_POD_NAMESPACE: 'other' }, config), undefined);
    assert.equal(matchNode(lab, {}, config), undefined);
  });

  it('takes a node named in CNI_ARGS, args or runtimeConfig first', () => {
    assert.deepEqual(matchNode(lab, { VETHCON_NODE: 'b', K8S_POD_NAME: 'pod-a' }, config), { node: 'b', by: 'CNI_ARGS VETHCON_NODE' });
    const c2 = parseConfig(good({ runtimeConfig: { labNode: 'b' }, args: { cni: { labNode: 'a' } } }));
    assert.equal(matchNode(lab, {}, c2)?.node, 'b');
    assert.equal(matchNode(lab, {}, parseConfig(good({ args: { cni: { labNode: 'a' } } })))?.node, 'a');
  });

  it('refuses a named node the lab does not have, or one that is not a pod', () => {
    const e = refusal(() => matchNode(lab, { VETHCON_NODE: 'zz' }, config));
    assert.equal(e.code, 4);
    assert.match(e.message, /lab pair has no node "zz"/);
    assert.match(refusal(() => matchNode(lab, { VETHCON_NODE: 'h' }, config)).message, /not a pod node/);
    assert.equal(refusal(() => matchNode(lab, {}, parseConfig(good({ runtimeConfig: { labNode: 'zz' } })))).code, 7);
  });

  it('refuses a pod that is two nodes', () => {
    const c = parseConfig(good({ lab: { ...LAB, nodes: { ...LAB.nodes, b: { pod: 'pod-a' } } } }));
    assert.match(refusal(() => matchNode(labOf(c), { K8S_POD_NAME: 'pod-a' }, c)).message, /pod pod-a is nodes a and b/);
  });
});

describe('cni: the chained result', () => {
  const prev = {
    cniVersion: '1.0.0',
    interfaces: [{ name: 'veth1234', mac: '5a:00:00:00:00:01' }, { name: 'eth0', mac: '5a:00:00:00:00:02', sandbox: '/run/netns/p' }],
    ips: [{ address: '10.1.0.5/24', gateway: '10.1.0.1', interface: 1 }],
    routes: [{ dst: '0.0.0.0/0' }],
    dns: { nameservers: ['10.1.0.1'] },
  };

  it('passes the previous result on and appends our interfaces in the sandbox, with their addresses when asked', () => {
    const r = buildResult('1.0.0', prev, '/run/netns/p', [{ ifname: 'lab0', mac: '02:00:00:00:00:01', addresses: ['10.9.0.1/30', '2001:db8::1/64'] }], true);
    assert.deepEqual(r, {
      cniVersion: '1.0.0',
      interfaces: [...prev.interfaces, { name: 'lab0', mac: '02:00:00:00:00:01', sandbox: '/run/netns/p' }],
      ips: [prev.ips[0], { address: '10.9.0.1/30', interface: 2 }, { address: '2001:db8::1/64', interface: 2 }],
      routes: prev.routes,
      dns: prev.dns,
    });
    const plain = buildResult('1.0.0', prev, '/run/netns/p', [{ ifname: 'lab0', mac: '02:00:00:00:00:01', addresses: ['10.9.0.1/30'] }]);
    assert.deepEqual(plain.ips, prev.ips, 'by default our addresses stay out of ips (the reference plugins\' CHECK)');
    assert.equal(plain.interfaces.length, 3);
  });

  it('writes ips with "version" before 1.0.0, and the configuration\'s cniVersion', () => {
    const r = buildResult('0.4.0', { ...prev, cniVersion: '0.4.0', ips: [{ version: '4', address: '10.1.0.5/24', interface: 1 }] }, '/run/netns/p', [{ ifname: 'lab0', addresses: ['10.9.0.1/30', 'fd00::1/64'] }], true);
    assert.equal(r.cniVersion, '0.4.0');
    assert.deepEqual(r.ips.slice(1), [{ version: '4', address: '10.9.0.1/30', interface: 2 }, { version: '6', address: 'fd00::1/64', interface: 2 }]);
    assert.deepEqual(r.interfaces[2], { name: 'lab0', sandbox: '/run/netns/p' });
  });

  it('is a result of its own when nothing ran before, and lists an interface once when ADD runs again', () => {
    const first = buildResult('1.1.0', undefined, '/run/netns/p', [{ ifname: 'lab0', addresses: ['10.9.0.1/30'] }], true);
    assert.deepEqual(first, { cniVersion: '1.1.0', dns: {}, interfaces: [{ name: 'lab0', sandbox: '/run/netns/p' }], ips: [{ address: '10.9.0.1/30', interface: 0 }] });
    const again = buildResult('1.1.0', { ...prev, interfaces: [...prev.interfaces, { name: 'lab0', sandbox: '/run/netns/p' }], ips: [...prev.ips, { address: '10.9.0.1/30', interface: 2 }] }, '/run/netns/p', [{ ifname: 'lab0', addresses: ['10.9.0.1/30'] }], true);
    assert.equal(again.interfaces.length, 3);
    assert.deepEqual(again.ips, [prev.ips[0], { address: '10.9.0.1/30', interface: 2 }]);
  });

  it('passes the previous result on unchanged for a container that is no node of the lab', () => {
    assert.deepEqual(buildResult('1.0.0', prev, '/run/netns/p', []), prev);
  });
});

describe('cni: the examples (examples/cni)', () => {
  const dir = join(repoRoot, 'examples', 'cni');

  it('each list\'s vethcon entry is a valid configuration, with the example lab', () => {
    for (const file of ['10-vethcon.conflist', '87-podman-vethcon.conflist']) {
      const list = JSON.parse(readFileSync(join(dir, file), 'utf8')) as { cniVersion: string; name: string; plugins: { type: string; labFile?: string }[] };
      const ours = list.plugins.filter((p) => p.type === 'vethcon');
      assert.equal(ours.length, 1, file);
      assert.equal(list.plugins.at(-1)!.type, 'vethcon', `${file}: chained last, after the main plugin`);
      assert.equal(ours[0]!.labFile, '/etc/vethcon/lab.json', file);
      const config = parseConfig({ cniVersion: list.cniVersion, name: list.name, ...ours[0], labFile: join(dir, 'lab.json') });
      assert.deepEqual(Object.keys(labOf(config).nodes), ['r1', 'r2'], file);
    }
  });

  it('the DaemonSet\'s lab is a valid lab with pod nodes', () => {
    const yaml = readFileSync(join(dir, 'daemonset.yaml'), 'utf8');
    const text = /lab\.json: \|\n([\s\S]*?)\n---/.exec(yaml)![1]!;
    const lab = labOf(parseConfig(good({ lab: JSON.parse(text) })));
    assert.ok(Object.values(lab.nodes).every((n) => n.place.type === 'pod'));
  });
});
