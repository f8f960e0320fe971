// Live tests of `npm run demo` (dist/src/demo/main.js) exactly as a user runs
// it: it must prove the veth pair carries traffic, exit 0, and leave no
// vethcon-demo-* namespace behind; a forced failure and a Ctrl-C must exit
// non-zero and leave nothing behind either. `ip`, `ss` and /run/netns are the
// independent oracles. Also the worker operation behind it,
// NamespaceThreads.openTcpSocket. Needs root.

import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, statSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import { Vethcon } from '../../src/api/client.js';
import { NamespaceThreads, NetnsError, namedNetnsPath, socketNetns } from '../../src/ns/index.js';
import { connect } from '../../src/wire/connect.js';
import { repoRoot } from '../support/fixtures.js';

const DEMO = join(repoRoot, 'dist/src/demo/main.js');
/** The same demo with test hooks (failAfter=STEP, holdAfter=STEP). */
const DEMO_HOOKS = join(repoRoot, 'dist/test/live/demo-hooks.js');

/** Root or bust: under CI a test that cannot run fails instead of skipping. */
function requireRoot(context: Mocha.Context): void {
  if (process.getuid?.() === 0) return;
  if (process.env.CI === 'true') throw new Error('live demo tests need root (CI=true: failing instead of skipping)');
  context.skip();
}

/** Named namespaces, straight from the directory `ip netns add` writes. */
const identity = (name: string): { dev: number; ino: number } => {
  const st = statSync(namedNetnsPath(name));
  return { dev: st.dev, ino: st.ino };
};
const namedNetns = (): string[] => (existsSync('/run/netns') ? readdirSync('/run/netns') : []);
const demoNetns = (): string[] => namedNetns().filter((name) => name.startsWith('vethcon-demo-'));
const demoNames = (pid: number): string[] => [`vethcon-demo-a-${pid}`, `vethcon-demo-b-${pid}`];

/** Fails if a run left a vethcon-demo-* namespace that was not there before it. */
function assertNoDemoNetnsLeft(before: string[], pid: number | undefined): void {
  const left = demoNetns().filter((name) => !before.includes(name));
  assert.deepEqual(left, [], `the demo left namespaces behind: ${left.join(', ')}`);
  if (pid !== undefined) for (const name of demoNames(pid)) assert.ok(!namedNetns().includes(name), `${name} is still there`);
}

function runDemo(hooks: string[] = []): { status: number | null; stdout: string; stderr: string; pid: number | undefined } {
  assert.ok(existsSync(DEMO), `${DEMO} is missing: build first (npm run build)`);
  const result = spawnSync(process.execPath, hooks.length ? [DEMO_HOOKS, ...hooks] : [DEMO], { encoding: 'utf8', timeout: 30_000 });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr, pid: result.pid };
}

describe('demo: npm run demo (live, root)', function () {
  this.timeout(30_000);

  before(function () {
    requireRoot(this);
  });

  it('proves the link with a TCP echo, exits 0 and leaves no namespace behind', () => {
    const before = demoNetns();
    const run = runDemo();
    assert.equal(run.status, 0, `exit ${run.status}\n${run.stdout}\n${run.stderr}`);
    assert.match(run.stdout, /^ {2}create .*vethcon-demo-a-\d+ .*vethcon-demo-b-\d+/m);
    assert.match(run.stdout, /^ {2}wire .*nic1 10\.10\.1\.2\/24 in a <-> nic2 10\.10\.1\.3\/24 in b/m);
    assert.match(run.stdout, /^ {2}listen .*TCP port \d+, socket made in b/m);
    assert.match(run.stdout, /^ {2}connect .*TCP 10\.10\.1\.2:\d+ -> 10\.10\.1\.3:\d+, socket made in a/m);
    assert.match(run.stdout, /^ {2}echo .*random bytes a -> b -> a came back identical, round trip [\d.]+ ms/m);
    assert.match(run.stdout, /^ {2}cleanup .*deleted netns vethcon-demo-a-\d+, netns vethcon-demo-b-\d+/m);
    assert.match(run.stdout, /^ok: /m);
    assert.equal(run.stderr, '');
    assertNoDemoNetnsLeft(before, run.pid);
  });

  it('a failure after the echo (failAfter) exits 1 and still removes both namespaces', () => {
    const before = demoNetns();
    const run = runDemo(['failAfter=echo']);
    assert.equal(run.status, 1, `exit ${run.status}\n${run.stdout}\n${run.stderr}`);
    assert.match(run.stdout, /FAILED: failing on purpose after step echo/);
    assert.match(run.stdout, /^ {2}cleanup .*deleted netns/m);
    assert.match(run.stderr, /^vethcon demo: FAILED after [\d.]+ ms: failing on purpose/);
    assert.doesNotMatch(run.stdout, /^ok: /m);
    assertNoDemoNetnsLeft(before, run.pid);
  });

  /** Starts the demo with holdAfter=step and resolves once it holds there. */
  async function startHeld(step: string): Promise<{ child: ChildProcess; output: () => string; exited: Promise<number | null> }> {
    assert.ok(existsSync(DEMO), `${DEMO} is missing: build first (npm run build)`);
    const child = spawn(process.execPath, [DEMO_HOOKS, `holdAfter=${step}`], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    const output = (): string => `${stdout}\n${stderr}`;
    try {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`the demo never held:\n${output()}`)), 20_000);
        child.stdout!.on('data', (chunk: Buffer) => {
          stdout += chunk;
          if (stdout.includes(`holding after step ${step}`)) {
            clearTimeout(timer);
            resolve();
          }
        });
        child.on('exit', (code) => reject(new Error(`the demo exited (${code}) before holding:\n${output()}`)));
      });
    } catch (error) {
      stopAndClean(child);
      throw error;
    }
    return { child, output: () => stdout + (stderr ? `\n${stderr}` : ''), exited };
  }

  /** Last resort after a failed test: kill the demo and delete its namespaces. */
  function stopAndClean(child: ChildProcess): void {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    for (const name of child.pid ? demoNames(child.pid) : []) if (namedNetns().includes(name)) spawnSync('ip', ['netns', 'del', name]);
  }

  it('Ctrl-C while connected exits 130 and removes both namespaces; while held, ip and ss see the wiring', async () => {
    const before = demoNetns();
    const { child, output, exited } = await startHeld('connect');
    try {
      const [nameA, nameB] = demoNames(child.pid!);
      // Independent look at what the demo built, while it holds.
      const addrB = JSON.parse(execFileSync('ip', ['-n', nameB, '-j', 'addr', 'show', 'dev', 'nic2'], { encoding: 'utf8' })) as Array<{ operstate: string; addr_info: Array<{ local: string; prefixlen: number }> }>;
      assert.ok(addrB[0].addr_info.some((a) => a.local === '10.10.1.3' && a.prefixlen === 24));
      assert.equal(addrB[0].operstate, 'UP');
      const established = execFileSync('ip', ['netns', 'exec', nameA, 'ss', '-Htn', 'state', 'established'], { encoding: 'utf8' });
      assert.match(established, /10\.10\.1\.2:\d+\s+10\.10\.1\.3:\d+/);
      child.kill('SIGINT');
      assert.equal(await exited, 130, output());
      assert.match(output(), /SIGINT: stopping, cleaning up/);
      assert.match(output(), /^interrupted after [\d.]+ ms; nothing left behind/m);
      assertNoDemoNetnsLeft(before, child.pid);
    } finally {
      stopAndClean(child);
    }
  });

  it('SIGTERM with nothing open but the namespaces exits 143 and removes them (the demo does not quietly exit 0 while it waits)', async () => {
    const before = demoNetns();
    const { child, output, exited } = await startHeld('create');
    try {
      await new Promise((resolve) => setTimeout(resolve, 300)); // long enough to exit on its own if nothing held it
      assert.equal(child.exitCode, null, `the demo exited by itself while holding:\n${output()}`);
      for (const name of demoNames(child.pid!)) assert.ok(namedNetns().includes(name), `${name} should exist while the demo holds`);
      child.kill('SIGTERM');
      assert.equal(await exited, 143, output());
      assert.match(output(), /^ {2}cleanup .*deleted netns vethcon-demo-a-\d+, netns vethcon-demo-b-\d+/m);
      assertNoDemoNetnsLeft(before, child.pid);
    } finally {
      stopAndClean(child);
    }
  });
});

describe('ns: openTcpSocket (live, root)', function () {
  const nameA = `vctest-inet-a-${randomBytes(3).toString('hex')}`;
  const nameB = `vctest-inet-b-${randomBytes(3).toString('hex')}`;
  let vc: Vethcon;
  let threads: NamespaceThreads;

  before(async function () {
    requireRoot(this);
    vc = new Vethcon();
    threads = new NamespaceThreads();
    await vc.namespaces.create(nameA);
    await vc.namespaces.create(nameB);
    await connect(
      { ns: { type: 'netns', name: nameA }, ifname: 'nic1', addresses: ['10.10.1.2/24'] },
      { ns: { type: 'netns', name: nameB }, ifname: 'nic2', addresses: ['10.10.1.3/24'] },
      { client: vc },
    );
    await threads.openSockets({ current: true }, 0); // start the worker now, so fd counts below see only the test's own
  });

  after(async () => {
    await threads?.close();
    for (const name of [nameA, nameB]) {
      try {
        await vc?.namespaces.delete(name);
      } catch {
        if (namedNetns().includes(name)) spawnSync('ip', ['netns', 'del', name]);
      }
    }
    await vc?.close();
  });

  it('openTcpSocket makes the socket in the namespace asked for (SIOCGSKNS), and node:net can listen and connect on it', async () => {
    const listenFd = await threads.openTcpSocket({ name: nameB });
    const clientFd = await threads.openTcpSocket({ name: nameA });
    assert.deepEqual(socketNetns(listenFd), identity(nameB));
    assert.deepEqual(socketNetns(clientFd), identity(nameA));
    const server = net.createServer((c) => c.end('hi'));
    await new Promise<void>((resolve) => server.listen({ fd: listenFd }, resolve));
    try {
      const { port } = server.address() as net.AddressInfo;
      const client = new net.Socket({ fd: clientFd, readable: true, writable: true });
      const got = await new Promise<string>((resolve, reject) => {
        let text = '';
        client.on('data', (d) => (text += d)).on('end', () => resolve(text)).on('error', reject);
        client.connect(port, '10.10.1.3');
      });
      assert.equal(got, 'hi');
      // From a, b's address is reachable only over the pair; from the test's own netns it is not ours to reach.
      assert.equal(client.localAddress, '10.10.1.2');
      client.destroy();
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('a missing namespace is a NetnsError and leaks no fd', async () => {
    const fdsBefore = readdirSync('/proc/self/fd').length;
    await assert.rejects(threads.openTcpSocket({ name: `${nameA}-missing` }), (e: unknown) => e instanceof NetnsError && e.code === 'ENONETNS');
    assert.equal(readdirSync('/proc/self/fd').length, fdsBefore);
  });
});
