// The CNI verbs' own logic, without a kernel: what each verb asks of the
// lab (which nodes, which bindings, partial, dry run), what it keeps in the
// state folder, and what it answers (MACs, read from the pod's namespace,
// need a client: the e2e test checks them). The lab's apply and destroy are
// recording doubles here; test/e2e/cni.test.ts runs the real ones under
// libcni.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readEnv } from '../../src/cni/env.js';
import { CniError } from '../../src/cni/errors.js';
import type { ApplyOptions, ApplyResult, DestroyOptions, LabOps, LinkOutcome } from '../../src/cni/lab-ops.js';
import { runVerb, type VerbOutput } from '../../src/cni/verbs.js';
import type { Lab } from '../../src/lab/index.js';

const LAB = { name: 'pair', nodes: { a: { pod: 'pod-a' }, b: { pod: 'pod-b' } }, links: [{ endpoints: ['a:lab0:10.9.0.1/30', 'b:lab0:10.9.0.2/30'] }] };

interface Call { verb: 'apply' | 'destroy'; opts: ApplyOptions | DestroyOptions }

/** A lab double: records each call and answers `links` (or throws `fail`). */
function double(answer: (opts: ApplyOptions) => LinkOutcome[] = () => [], fail?: Error): { ops: LabOps; calls: Call[] } {
  const calls: Call[] = [];
  const result = (lab: Lab, links: LinkOutcome[], dryRun: boolean): ApplyResult => ({ lab: lab.name, dryRun, changed: links.some((l) => l.action !== 'unchanged' && l.action !== 'waiting'), links, notes: [] });
  return {
    calls,
    ops: {
      async applyLab(lab, opts = {}) { calls.push({ verb: 'apply', opts }); if (fail) throw fail; return result(lab, answer(opts), opts.dryRun === true); },
      async destroyLab(lab, opts = {}) { calls.push({ verb: 'destroy', opts }); if (fail) throw fail; return result(lab, [], false); },
    },
  };
}

const link = (action: LinkOutcome['action']): LinkOutcome => ({
  index: 0, key: 'k', link: 'a:lab0 <-> b:lab0', action, changes: action === 'updated' ? ['address 10.9.0.1/30 added on a:lab0'] : [],
  ends: [
    { node: 'a', endpoint: 'netns path /run/netns/pa', ifname: 'lab0', addresses: ['10.9.0.1/30'] },
    { node: 'b', endpoint: 'netns path /run/netns/pb', ifname: 'lab0', addresses: ['10.9.0.2/30'] },
  ],
});

describe('cni: the verbs', () => {
  let dir: string;
  beforeEach(() => { dir = mkdtempSync(join(tmpdir(), 'vccni-unit-')); });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const config = (extra: Record<string, unknown> = {}): string => JSON.stringify({ cniVersion: '1.0.0', name: 'net1', type: 'vethcon', lab: LAB, stateDir: dir, ...extra });
  const env = (command: string, id: string, pod?: string, netns = `/run/netns/${id}`) => readEnv({ CNI_COMMAND: command, CNI_CONTAINERID: id, CNI_NETNS: netns, CNI_IFNAME: 'eth0', CNI_ARGS: pod ? `K8S_POD_NAME=${pod}` : '' });
  const run = (e: ReturnType<typeof env>, stdin: string, ops: LabOps): Promise<VerbOutput> => runVerb(e, stdin, { ops: async () => ops, openLog: () => () => {} });
  const bindings = (): string[] => { try { return readdirSync(join(dir, 'net1', 'pair')).sort(); } catch { return []; } };
  async function refusal(p: Promise<unknown>): Promise<CniError> {
    try { await p; } catch (e) { assert.ok(e instanceof CniError, String(e)); return e; }
    assert.fail('no error');
  }

  it('ADD binds the pod, applies the lab for its node with every bound pod, partial, and returns its interfaces', async () => {
    const first = double(() => [link('waiting')]);
    const out1 = await run(env('ADD', 'ca', 'pod-a'), config(), first.ops);
    assert.deepEqual(first.calls.map((c) => [c.verb, c.opts.nodes, c.opts.bind, (c.opts as ApplyOptions).partial]), [['apply', ['a'], { a: { type: 'path', path: '/run/netns/ca' } }, true]]);
    assert.deepEqual(out1, { cniVersion: '1.0.0', dns: {}, interfaces: [], ips: [] }, 'a link waiting for its peer is not in the result');
    const second = double(() => [link('created')]);
    const out2 = await run(env('ADD', 'cb', 'pod-b'), config({ resultAddresses: true }), second.ops);
    assert.deepEqual(second.calls[0]!.opts.bind, { a: { type: 'path', path: '/run/netns/ca' }, b: { type: 'path', path: '/run/netns/cb' } });
    assert.deepEqual(out2, { cniVersion: '1.0.0', dns: {}, interfaces: [{ name: 'lab0', sandbox: '/run/netns/cb' }], ips: [{ address: '10.9.0.2/30', interface: 0 }] });
    assert.deepEqual(bindings(), ['a.json', 'b.json']);
  });

  it('ADD that fails takes its binding back and says so with code 100', async () => {
    const failing = double(undefined, Object.assign(new Error('a link named lab0 already exists'), { code: 'EEXIST' }));
    const e = await refusal(run(env('ADD', 'ca', 'pod-a'), config(), failing.ops));
    assert.equal(e.code, 100);
    assert.match(e.message, /lab pair, node a: apply failed: a link named lab0 already exists/);
    assert.equal(e.details, 'EEXIST');
    assert.deepEqual(bindings(), []);
  });

  it('ADD of a container that is no node passes prevResult on and touches nothing', async () => {
    const d = double();
    const prev = { cniVersion: '1.0.0', interfaces: [{ name: 'eth0', sandbox: '/run/netns/cx' }], ips: [{ address: '10.1.0.2/24', interface: 0 }] };
    assert.deepEqual(await run(env('ADD', 'cx', 'some-other-pod'), config({ prevResult: prev }), d.ops), prev);
    assert.deepEqual(d.calls, []);
    assert.deepEqual(bindings(), []);
  });

  it('DEL drops the binding and destroys the node\'s links; twice, and for a container never seen, it succeeds', async () => {
    await run(env('ADD', 'ca', 'pod-a'), config(), double().ops);
    await run(env('ADD', 'cb', 'pod-b'), config(), double().ops);
    const d = double();
    assert.equal(await run(env('DEL', 'ca'), config(), d.ops), undefined, 'found by its container id alone');
    assert.deepEqual(d.calls.map((c) => [c.verb, c.opts.nodes]), [['destroy', ['a']]]);
    assert.deepEqual(d.calls[0]!.opts.bind, { b: { type: 'path', path: '/run/netns/cb' } }, 'its namespace file is not there, so it is not bound');
    assert.deepEqual(bindings(), ['b.json']);
    const again = double();
    await run(env('DEL', 'ca'), config(), again.ops);
    assert.deepEqual(again.calls, [], 'nothing known of it any more');
    const never = double();
    await run(env('DEL', 'nobody'), config(), never.ops);
    assert.deepEqual(never.calls, []);
  });

  it('DEL of an old container leaves the node to the container that holds it now', async () => {
    await run(env('ADD', 'new', 'pod-a'), config(), double().ops);
    const d = double();
    await run(env('DEL', 'old', 'pod-a'), config(), d.ops);
    assert.deepEqual(d.calls, []);
    assert.deepEqual(bindings(), ['a.json']);
  });

  it('DEL that fails keeps the binding for the runtime\'s next DEL', async () => {
    await run(env('ADD', 'ca', 'pod-a'), config(), double().ops);
    const e = await refusal(run(env('DEL', 'ca'), config(), double(undefined, new Error('boom')).ops));
    assert.equal(e.code, 100);
    assert.deepEqual(bindings(), ['a.json']);
  });

  it('CHECK is a dry run for the node; drift is code 101 with the changes, a peer not yet there is not drift', async () => {
    await run(env('ADD', 'ca', 'pod-a'), config(), double().ops);
    const ok = double(() => [link('waiting')]);
    assert.equal(await run(env('CHECK', 'ca', 'pod-a'), config(), ok.ops), undefined);
    assert.equal((ok.calls[0]!.opts as ApplyOptions).dryRun, true);
    const e = await refusal(run(env('CHECK', 'ca', 'pod-a'), config(), double(() => [link('updated')]).ops));
    assert.equal(e.code, 101);
    assert.equal(e.details, 'a:lab0 <-> b:lab0: updated (address 10.9.0.1/30 added on a:lab0)');
    const never = await refusal(run(env('CHECK', 'cz', 'pod-b'), config(), double().ops));
    assert.equal(never.code, 101);
    assert.match(never.message, /container cz was never added as this node/);
  });

  it('CHECK before 0.4.0, STATUS and GC before 1.1.0 are code 1', async () => {
    assert.equal((await refusal(run(env('CHECK', 'ca', 'pod-a'), config({ cniVersion: '0.3.1' }), double().ops))).code, 1);
    assert.equal((await refusal(run(readEnv({ CNI_COMMAND: 'STATUS' }), config(), double().ops))).code, 1);
    assert.equal((await refusal(run(readEnv({ CNI_COMMAND: 'GC' }), config(), double().ops))).code, 1);
  });

  it('GC removes the links and bindings of containers not in the valid attachments', async () => {
    await run(env('ADD', 'ca', 'pod-a'), config(), double().ops);
    await run(env('ADD', 'cb', 'pod-b'), config(), double().ops);
    const d = double();
    await run(readEnv({ CNI_COMMAND: 'GC' }), config({ cniVersion: '1.1.0', 'cni.dev/valid-attachments': [{ containerID: 'cb', ifname: 'eth0' }] }), d.ops);
    assert.deepEqual(d.calls.map((c) => [c.verb, c.opts.nodes]), [['destroy', ['a']]]);
    assert.deepEqual(bindings(), ['b.json']);
    assert.equal((await refusal(run(readEnv({ CNI_COMMAND: 'GC' }), config({ cniVersion: '1.1.0' }), d.ops))).code, 7);
  });

  it('STATUS is ready when the state folder can be written, code 50 when not', async () => {
    assert.equal(await run(readEnv({ CNI_COMMAND: 'STATUS' }), config({ cniVersion: '1.1.0' }), double().ops), undefined);
    writeFileSync(join(dir, 'file'), '');
    const e = await refusal(run(readEnv({ CNI_COMMAND: 'STATUS' }), config({ cniVersion: '1.1.0', stateDir: join(dir, 'file') }), double().ops));
    assert.equal(e.code, 50);
  });

  it('VERSION answers in the version asked, without reading a configuration', async () => {
    assert.deepEqual(await run(readEnv({ CNI_COMMAND: 'VERSION' }), '{"cniVersion":"0.4.0"}', double().ops), { cniVersion: '0.4.0', supportedVersions: ['0.3.0', '0.3.1', '0.4.0', '1.0.0', '1.1.0'] });
    assert.deepEqual(await run(readEnv({ CNI_COMMAND: 'VERSION' }), '', double().ops), { cniVersion: '1.1.0', supportedVersions: ['0.3.0', '0.3.1', '0.4.0', '1.0.0', '1.1.0'] });
  });
});
