// The CNI plugin driven by a real runtime library: libcni (the library
// containerd, CRI-O and Podman's CNI backend use), through a small driver
// (test/cni/driver/main.go) built here from Debian's golang-github-appc-cni-dev
// in GOPATH mode, running a network configuration list that chains the
// reference `ptp` plugin (host-local IPAM) and ours for two pod namespaces
// made by the test. `ip -j` is the oracle; traffic is busybox ping between the
// test's own namespaces. STATUS and GC (spec 1.1) are newer than Debian's
// libcni (1.1.2), so they are run here as a runtime runs a plugin: its
// environment, the configuration on stdin.

import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { inCI } from './cli-helpers.js';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const PKG = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
/** The package's `vethcon-cni` bin: the one-file build a node installs. */
const PLUGIN = join(ROOT, PKG.bin['vethcon-cni']);
const REFERENCE_PLUGINS = '/usr/lib/cni';
const GOPATH = '/usr/share/gocode';
const LIBCNI = join(GOPATH, 'src/github.com/containernetworking/cni/libcni');

const TAG = `vccni-${process.pid}`;
const NETWORK = `${TAG}-net`;
const LAB = {
  name: `${TAG}-lab`,
  nodes: { a: { pod: `${TAG}-pa` }, b: { pod: `${TAG}-pb` } },
  links: [{ endpoints: ['a:lab0:10.214.0.1/30', 'b:lab0:10.214.0.2/30'] }],
};

function problems(): string[] {
  const out: string[] = [];
  if (process.getuid?.() !== 0) out.push('not root');
  if (spawnSync('go', ['version']).status !== 0) out.push('no Go toolchain (apt-get install golang-go)');
  if (!existsSync(LIBCNI)) out.push(`no libcni source in ${LIBCNI} (apt-get install golang-github-appc-cni-dev)`);
  for (const p of ['ptp', 'host-local']) if (!existsSync(join(REFERENCE_PLUGINS, p))) out.push(`no ${p} in ${REFERENCE_PLUGINS} (apt-get install containernetworking-plugins)`);
  if (spawnSync('busybox', ['true']).status !== 0) out.push('no busybox (apt-get install busybox-static)');
  if (!existsSync(PLUGIN)) out.push(`${PLUGIN} is missing: npm run build`);
  return out;
}

interface Outcome { code: number; json: Record<string, any> | undefined; stdout: string; stderr: string }

async function outcome(p: Promise<{ stdout: string; stderr: string }>): Promise<Outcome> {
  try {
    const { stdout, stderr } = await p;
    return { code: 0, json: stdout.trim() ? JSON.parse(stdout) : undefined, stdout, stderr };
  } catch (e) {
    const err = e as { code?: number; stdout?: string; stderr?: string };
    const stdout = err.stdout ?? '';
    let json;
    try { json = stdout.trim() ? JSON.parse(stdout) : undefined; } catch { json = undefined; }
    return { code: typeof err.code === 'number' ? err.code : -1, json, stdout, stderr: err.stderr ?? '' };
  }
}

/** `ip -j -n NS addr`: each link's name and addresses. */
function addrs(ns: string): Record<string, string[]> {
  const r = spawnSync('ip', ['-j', '-n', ns, 'addr'], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const out: Record<string, string[]> = {};
  for (const l of JSON.parse(r.stdout) as { ifname: string; addr_info: { family: string; local: string; prefixlen: number }[] }[]) {
    out[l.ifname] = l.addr_info.filter((a) => a.family === 'inet').map((a) => `${a.local}/${a.prefixlen}`);
  }
  return out;
}

/** `ip -j -n NS link show NAME`: its MAC, or undefined if it is not there. */
function macOf(ns: string, ifname: string): string | undefined {
  const r = spawnSync('ip', ['-j', '-n', ns, 'link', 'show', ifname], { encoding: 'utf8' });
  return r.status === 0 ? (JSON.parse(r.stdout) as { address: string }[])[0]?.address : undefined;
}

function ping(from: string, to: string): boolean {
  return spawnSync('ip', ['netns', 'exec', from, 'busybox', 'ping', '-c', '1', '-W', '2', to]).status === 0;
}

describe('e2e: the CNI plugin under libcni, chained after ptp', function () {
  this.timeout(120_000);
  let dir: string;
  let driver: string;
  let conflist: string;
  let stateDir: string;
  let logFile: string;
  const made: string[] = [];
  const added = new Map<string, string>(); // container id -> netns, for the cleanup

  const pluginConfig = (extra: Record<string, unknown> = {}): Record<string, unknown> => ({ type: 'vethcon', logFile, stateDir, lab: LAB, ...extra });
  function writeConflist(file: string, plugin: Record<string, unknown>, cniVersion = '1.0.0'): string {
    const ptp = { type: 'ptp', ipMasq: false, ipam: { type: 'host-local', subnet: '10.213.0.0/24', dataDir: join(dir, 'ipam') } };
    writeFileSync(file, JSON.stringify({ cniVersion, name: NETWORK, plugins: [ptp, plugin] }, null, 1));
    return file;
  }
  function netns(name: string): string {
    const ns = `${TAG}-${name}`;
    const r = spawnSync('ip', ['netns', 'add', ns], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    made.push(ns);
    return ns;
  }
  /** libcni runs `verb` of the list for a container, as a runtime does (IgnoreUnknown=1, as containerd and CRI-O pass). */
  function cni(verb: 'add' | 'check' | 'del', id: string, ns: string, pod?: string, list = conflist): Promise<Outcome> {
    if (verb === 'add') added.set(id, ns);
    const args = ['IgnoreUnknown=1', ...(pod ? [`K8S_POD_NAME=${pod}`, 'K8S_POD_NAMESPACE=default'] : [])].join(';');
    return outcome(run(driver, ['-verb', verb, '-conflist', list, '-netns', `/run/netns/${ns}`, '-id', id, '-args', args, '-path', `${join(dir, 'bin')}:${REFERENCE_PLUGINS}`, '-cache', join(dir, 'cache')]));
  }
  /** The plugin alone, as a runtime execs it: CNI_* in the environment, the configuration on stdin. */
  function plugin(env: Record<string, string>, stdin: string): Promise<Outcome> {
    return outcome(new Promise((resolve, reject) => {
      const child = execFile(process.execPath, [PLUGIN], { env: { PATH: process.env.PATH, CNI_PATH: join(dir, 'bin'), ...env } }, (error, stdout, stderr) => {
        if (error) reject(Object.assign(error, { stdout, stderr }));
        else resolve({ stdout, stderr });
      });
      child.stdin!.end(stdin);
    }));
  }
  const bindings = (): string[] => { try { return readdirSync(join(stateDir, NETWORK, LAB.name)).sort(); } catch { return []; } };

  before(async function () {
    const p = problems();
    if (p.length) {
      if (inCI) throw new Error(`CI=true, so failing instead of skipping: the CNI e2e tests cannot run: ${p.join('; ')}`);
      this.skip();
    }
    dir = mkdtempSync(join(tmpdir(), `${TAG}-`));
    stateDir = join(dir, 'state');
    logFile = join(dir, 'plugin.log');
    // CNI_PATH holds the plugin under the name the configuration's "type" gives it.
    mkdirSync(join(dir, 'bin'));
    symlinkSync(PLUGIN, join(dir, 'bin', 'vethcon'));
    driver = join(dir, 'cni-driver');
    await run('go', ['build', '-o', driver, join(ROOT, 'test/cni/driver/main.go')], {
      env: { ...process.env, GOPATH, GO111MODULE: 'off', GOFLAGS: '', GOCACHE: join(dir, 'gocache'), GOPROXY: 'off' },
    });
    conflist = writeConflist(join(dir, 'net.conflist'), pluginConfig());
  });

  after(async () => {
    if (!dir) return;
    for (const [id, ns] of added) await cni('del', id, ns);
    for (const ns of made) spawnSync('ip', ['netns', 'del', ns]);
    rmSync(dir, { recursive: true, force: true });
  });

  it('ADD of both pods makes the link when the second arrives; they ping over it; CHECK passes', async () => {
    const [a, b] = [netns('a'), netns('b')];
    const first = await cni('add', 'ctr-a', a, LAB.nodes.a.pod);
    assert.equal(first.code, 0, first.stdout + first.stderr);
    assert.deepEqual(first.json!.result.interfaces.map((i: { name: string }) => i.name).slice(1), ['eth0'], 'the peer is not there yet: no lab0');
    assert.equal(addrs(a).lab0, undefined);

    const second = await cni('add', 'ctr-b', b, LAB.nodes.b.pod);
    assert.equal(second.code, 0, second.stdout + second.stderr);
    const result = second.json!.result;
    // ptp's host end and eth0 passed on, ours after them, with sandbox, MAC and address.
    assert.deepEqual(result.interfaces.map((i: { name: string; sandbox?: string }) => [i.name, i.sandbox]).slice(1), [['eth0', `/run/netns/${b}`], ['lab0', `/run/netns/${b}`]]);
    assert.equal(result.interfaces[2].mac, macOf(b, 'lab0'));
    assert.equal(result.ips.length, 1, 'ptp\'s address passed on; ours are not listed (resultAddresses is off)');
    assert.match(result.ips[0].address, /^10\.213\.0\.\d+\/24$/);

    assert.deepEqual(addrs(a).lab0, ['10.214.0.1/30']);
    assert.deepEqual(addrs(b).lab0, ['10.214.0.2/30']);
    assert.ok(ping(a, '10.214.0.2'), 'a pings b over lab0');
    assert.ok(ping(b, '10.214.0.1'), 'b pings a over lab0');

    for (const [id, ns, pod] of [['ctr-a', a, LAB.nodes.a.pod], ['ctr-b', b, LAB.nodes.b.pod]] as const) {
      const check = await cni('check', id, ns, pod);
      assert.equal(check.code, 0, check.stdout);
    }
    assert.match(readFileSync(logFile, 'utf8'), /ADD ctr-b as node b \(K8S_POD_NAME .*\) in \/run\/netns\/.*: a:lab0 <-> b:lab0 created/);
  });

  it('CHECK after an address is removed by hand fails with a CNI error; put back, it passes', async () => {
    const [a] = [`${TAG}-a`];
    assert.equal(spawnSync('ip', ['-n', a, 'addr', 'del', '10.214.0.1/30', 'dev', 'lab0']).status, 0);
    const check = await cni('check', 'ctr-a', a, LAB.nodes.a.pod);
    assert.notEqual(check.code, 0);
    assert.equal(check.json!.error.code, 101);
    assert.match(check.json!.error.msg, /node a: the links differ from the lab/);
    assert.match(check.json!.error.details, /a:lab0 <-> b:lab0: updated .*10\.214\.0\.1\/30/);
    assert.equal(spawnSync('ip', ['-n', a, 'addr', 'add', '10.214.0.1/30', 'dev', 'lab0']).status, 0);
    assert.equal((await cni('check', 'ctr-a', a, LAB.nodes.a.pod)).code, 0);
  });

  it('DEL succeeds twice and for a container it never saw; the link goes with the first', async () => {
    const [a, b] = [`${TAG}-a`, `${TAG}-b`];
    for (let i = 0; i < 2; i++) {
      const del = await cni('del', 'ctr-a', a, LAB.nodes.a.pod);
      assert.equal(del.code, 0, `DEL #${i + 1}: ${del.stdout}`);
      assert.equal(addrs(b).lab0, undefined);
      assert.equal(addrs(a).lab0, undefined);
      assert.deepEqual(bindings(), ['b.json']);
    }
    const unknown = await cni('del', 'ctr-never-seen', a);
    assert.equal(unknown.code, 0, unknown.stdout);
    const unknownPod = await cni('del', 'ctr-never-seen-2', a, LAB.nodes.a.pod);
    assert.equal(unknownPod.code, 0, unknownPod.stdout);
    assert.equal((await cni('del', 'ctr-b', b, LAB.nodes.b.pod)).code, 0);
    assert.deepEqual(bindings(), []);
    assert.deepEqual(Object.keys(addrs(a)).sort(), ['lo'], 'ptp took its end away too');
  });

  it('two ADDs at the same moment for the two ends make one link', async () => {
    const [c, d] = [netns('c'), netns('d')];
    for (let round = 0; round < 3; round++) {
      const [x, y] = await Promise.all([cni('add', `ctr-c${round}`, c, LAB.nodes.a.pod), cni('add', `ctr-d${round}`, d, LAB.nodes.b.pod)]);
      assert.equal(x.code, 0, x.stdout);
      assert.equal(y.code, 0, y.stdout);
      assert.deepEqual(addrs(c).lab0, ['10.214.0.1/30'], `round ${round}`);
      assert.deepEqual(addrs(d).lab0, ['10.214.0.2/30'], `round ${round}`);
      // One link, not two, and its ends are each other: the peer ifindex of each is the other.
      const peer = (ns: string): number => (JSON.parse(spawnSync('ip', ['-j', '-n', ns, 'link', 'show', 'lab0'], { encoding: 'utf8' }).stdout) as { link_index: number }[])[0]!.link_index;
      const index = (ns: string): number => (JSON.parse(spawnSync('ip', ['-j', '-n', ns, 'link', 'show', 'lab0'], { encoding: 'utf8' }).stdout) as { ifindex: number }[])[0]!.ifindex;
      assert.equal(peer(c), index(d));
      assert.equal(peer(d), index(c));
      const reported = [x, y].filter((o) => o.json!.result.interfaces.some((i: { name: string }) => i.name === 'lab0')).length;
      assert.ok(reported >= 1, 'the ADD that made it reports it');
      assert.ok(ping(c, '10.214.0.2'));
      assert.equal((await cni('del', `ctr-c${round}`, c, LAB.nodes.a.pod)).code, 0);
      assert.equal((await cni('del', `ctr-d${round}`, d, LAB.nodes.b.pod)).code, 0);
      assert.equal(addrs(d).lab0, undefined);
    }
  });

  it('bad configuration is a CNI error object, exit not 0, and nothing changed', async () => {
    const e = netns('e');
    const envFor = { CNI_COMMAND: 'ADD', CNI_CONTAINERID: 'ctr-e', CNI_NETNS: `/run/netns/${e}`, CNI_IFNAME: 'eth0', CNI_ARGS: `K8S_POD_NAME=${LAB.nodes.a.pod}` };
    const base = { cniVersion: '1.0.0', name: NETWORK, ...pluginConfig() };
    const cases: [string, string, number, RegExp][] = [
      ['a typo of a key', JSON.stringify({ ...base, labfile: '/etc/lab.json' }), 2, /unsupported field "labfile"/],
      ['a version it does not speak', JSON.stringify({ ...base, cniVersion: '9.9.9' }), 1, /cniVersion "9\.9\.9" is not supported/],
      ['a lab with a bad link', JSON.stringify({ ...base, lab: { ...LAB, links: [{ endpoints: ['a:lab0', 'zz:lab0'] }] } }), 7, /node "zz" is not in nodes/],
      ['a lab with a bad address', JSON.stringify({ ...base, lab: { ...LAB, links: [{ endpoints: ['a:lab0:10.214.0.1/33', 'b:lab0'] }] } }), 7, /links\[0\]\.endpoints\[0\]/],
      ['no lab', JSON.stringify({ ...base, lab: undefined }), 7, /exactly one of them/],
      ['not JSON', '{"cniVersion": "1.0.0",', 6, /not JSON/],
    ];
    const before = JSON.stringify(addrs(e));
    for (const [what, stdin, code, msg] of cases) {
      const r = await plugin(envFor, stdin);
      assert.notEqual(r.code, 0, what);
      assert.equal(r.json!.code, code, `${what}: ${r.stdout}`);
      assert.match(r.json!.msg, msg, what);
      assert.equal(typeof r.json!.cniVersion, 'string', what);
      assert.equal(r.stdout.trim().split('\n').length, 1, `${what}: stdout is the error object alone`);
      assert.equal(JSON.stringify(addrs(e)), before, `${what}: nothing changed`);
      assert.deepEqual(bindings(), [], `${what}: no binding`);
    }
    const noEnv = await plugin({ CNI_COMMAND: 'ADD' }, JSON.stringify(base));
    assert.equal(noEnv.json!.code, 4);
    assert.match(noEnv.json!.msg, /CNI_CONTAINERID is not set; CNI_NETNS is not set; CNI_IFNAME is not set/);

    // Through libcni, the runtime gets our error object (ptp, first in the list, ran).
    const bad = writeConflist(join(dir, 'bad.conflist'), pluginConfig({ labfile: '/etc/lab.json' }));
    const r = await cni('add', 'ctr-e', e, LAB.nodes.a.pod, bad);
    assert.notEqual(r.code, 0);
    assert.deepEqual(r.json, { error: { code: 2, msg: 'network configuration: unsupported field "labfile": "/etc/lab.json"' } });
    assert.equal(addrs(e).lab0, undefined);
    assert.equal((await cni('del', 'ctr-e', e, LAB.nodes.a.pod, bad)).code !== 0, true, 'DEL with the bad list fails on the same configuration');
    assert.equal((await cni('del', 'ctr-e', e, LAB.nodes.a.pod)).code, 0);
  });

  it('VERSION, STATUS and GC (spec 1.1), run as a runtime runs a plugin', async () => {
    const version = await plugin({ CNI_COMMAND: 'VERSION' }, '{"cniVersion":"1.1.0"}');
    assert.deepEqual(version.json, { cniVersion: '1.1.0', supportedVersions: ['0.3.0', '0.3.1', '0.4.0', '1.0.0', '1.1.0'] });
    const base = { cniVersion: '1.1.0', name: NETWORK, ...pluginConfig() };
    const status = await plugin({ CNI_COMMAND: 'STATUS' }, JSON.stringify(base));
    assert.equal(status.code, 0, status.stdout);
    assert.equal(status.stdout, '');
    writeFileSync(join(dir, 'not-a-dir'), '');
    const down = await plugin({ CNI_COMMAND: 'STATUS' }, JSON.stringify({ ...base, stateDir: join(dir, 'not-a-dir') }));
    assert.equal(down.json!.code, 50);

    const [f, g] = [netns('f'), netns('g')];
    assert.equal((await cni('add', 'ctr-f', f, LAB.nodes.a.pod)).code, 0);
    assert.equal((await cni('add', 'ctr-g', g, LAB.nodes.b.pod)).code, 0);
    assert.deepEqual(addrs(f).lab0, ['10.214.0.1/30']);
    // The runtime says only ctr-g is still attached: ctr-f's node and link go.
    const gc = await plugin({ CNI_COMMAND: 'GC' }, JSON.stringify({ ...base, 'cni.dev/valid-attachments': [{ containerID: 'ctr-g', ifname: 'eth0' }] }));
    assert.equal(gc.code, 0, gc.stdout);
    assert.equal(addrs(f).lab0, undefined);
    assert.equal(addrs(g).lab0, undefined);
    assert.deepEqual(bindings(), ['b.json']);
    for (const [id, ns, pod] of [['ctr-f', f, LAB.nodes.a.pod], ['ctr-g', g, LAB.nodes.b.pod]] as const) assert.equal((await cni('del', id, ns, pod)).code, 0);
    assert.deepEqual(bindings(), []);
  });
});
