// Live tests of src/ns: named namespaces, sockets opened inside namespaces by
// the hopper worker, and the promises that matter most: the main thread never
// changes namespace, nothing leaks, a lost worker is replaced, an idle pool
// lets the process exit. Needs root; `ip` is the independent oracle. Every
// test makes its own vctest-<random> namespaces and removes them.

import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readdirSync, readlinkSync, statSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import * as sys from '../../src/sys/index.js';
import { NamespaceThreads, NetnsError, resolveNetns } from '../../src/ns/index.js';
import { newGate, threadNetns as threadNetnsId, writeGateBinding } from '../../src/ns/protocol.js';
import { ffiBindingPath } from '../../src/sys/binding-path.js';

/** Root or bust: under CI a test that cannot run fails instead of skipping. */
function requireRoot(context: Mocha.Context): void {
  if (process.getuid?.() === 0) return;
  if (process.env.CI === 'true') throw new Error('live ns tests need root (CI=true: failing instead of skipping)');
  context.skip();
}

const ip = (...args: string[]): string => execFileSync('ip', args, { encoding: 'utf8' });
const randomName = (): string => `vctest-${randomBytes(4).toString('hex')}`;
const threadNetns = (): string => readlinkSync('/proc/thread-self/ns/net');
const countEntries = (dir: string): number => readdirSync(dir).length;

/** All RTM_NEWLINK bytes of a link dump through `fd` (NLM_F_REQUEST|NLM_F_DUMP). */
function dumpLinks(fd: number): Buffer {
  const request = Buffer.alloc(32);
  request.writeUInt32LE(32, 0);
  request.writeUInt16LE(18, 4); // RTM_GETLINK
  request.writeUInt16LE(0x301, 6); // NLM_F_REQUEST | NLM_F_DUMP
  request.writeUInt32LE(7, 8);
  sys.sendBytes(fd, request, 32);
  const chunks: Buffer[] = [];
  const buf = Buffer.alloc(65536);
  for (;;) {
    const n = sys.recvBytes(fd, buf, 0);
    if (n < 0) throw new Error(`recv: errno ${-n}`);
    for (let offset = 0; offset + 16 <= n; ) {
      const length = buf.readUInt32LE(offset);
      const type = buf.readUInt16LE(offset + 4);
      if (type === 3) return Buffer.concat(chunks); // NLMSG_DONE
      if (type === 2) throw new Error(`netlink error ${buf.readInt32LE(offset + 16)}`);
      chunks.push(Buffer.from(buf.subarray(offset, offset + length)));
      offset += (length + 3) & ~3;
    }
  }
}

/** fds of this process whose /proc link matches. */
function fdsLinkingTo(target: RegExp | string): number[] {
  return readdirSync('/proc/self/fd')
    .map(Number)
    .filter((fd) => {
      try {
        const link = readlinkSync(`/proc/self/fd/${fd}`);
        return typeof target === 'string' ? link === target : target.test(link);
      } catch {
        return false; // the fd readdir itself used
      }
    });
}

/** fds of this process that refer to the main thread's netns. */
const homeNetnsFds = (): number[] => fdsLinkingTo(readlinkSync('/proc/self/ns/net'));

const has = (bytes: Buffer, ifname: string): boolean => bytes.includes(Buffer.from(`${ifname}\0`));

describe('ns: namespace threads (live, root)', function () {
  let threads: NamespaceThreads;
  const created: string[] = [];
  const openFds: number[] = [];
  let mainNetns: string;

  async function createNamed(sockets = 0): Promise<{ name: string; fds: number[] }> {
    const name = randomName();
    created.push(name);
    const fds = await threads.createNamed(name, { sockets });
    openFds.push(...fds);
    return { name, fds };
  }

  before(function () {
    requireRoot(this);
    threads = new NamespaceThreads();
    mainNetns = threadNetns();
  });

  afterEach(async () => {
    for (const fd of openFds.splice(0)) {
      try {
        sys.closeFd(fd);
      } catch {
        // a test closed it already
      }
    }
    for (const name of created.splice(0)) {
      try {
        await threads.deleteNamed(name);
      } catch {
        spawnSync('ip', ['netns', 'del', name]); // best effort; usually already gone
      }
    }
    assert.equal(threadNetns(), mainNetns, 'the main thread never changes netns');
  });

  after(async () => {
    await threads?.close();
  });

  it('createNamed makes a namespace that `ip netns` sees and can use', async () => {
    const { name } = await createNamed();
    assert.ok(ip('netns', 'list').split('\n').some((line) => line.split(' ')[0] === name));
    assert.match(ip('-n', name, 'link', 'show', 'lo'), /^1: lo: /);
    assert.ok(threads.listNamed().includes(name));
    const resolved = resolveNetns({ name });
    assert.equal(resolved.path, `/run/netns/${name}`);
    assert.equal(resolved.label, `netns ${name}`);
  });

  it('a socket from openSockets sees only its namespace links', async () => {
    const { name } = await createNamed();
    const suffix = randomBytes(3).toString('hex');
    const inside = `vca${suffix}`;
    const peer = `vcb${suffix}`;
    ip('-n', name, 'link', 'add', inside, 'type', 'veth', 'peer', 'name', peer);
    const [fd] = await threads.openSockets({ name }, 1);
    openFds.push(fd);
    const nsDump = dumpLinks(fd);
    assert.ok(has(nsDump, inside) && has(nsDump, peer) && has(nsDump, 'lo'));

    const hostFd = sys.openNetlinkSocket();
    openFds.push(hostFd);
    const hostDump = dumpLinks(hostFd);
    assert.ok(!has(hostDump, inside) && !has(hostDump, peer));
    // And no host link other than lo shows up inside.
    const hostNames = (JSON.parse(ip('-j', 'link', 'show')) as Array<{ ifname: string }>).map((link) => link.ifname);
    for (const hostName of hostNames.filter((n) => n !== 'lo')) assert.ok(!has(nsDump, hostName), hostName);
  });

  it('createNamed with sockets returns sockets living in the new namespace', async () => {
    const { name, fds } = await createNamed(2);
    assert.equal(fds.length, 2);
    ip('-n', name, 'link', 'add', 'vcin0', 'type', 'veth', 'peer', 'name', 'vcin1');
    for (const fd of fds) {
      const dump = dumpLinks(fd);
      assert.ok(has(dump, 'vcin0') && has(dump, 'vcin1') && has(dump, 'lo'));
    }
  });

  it('resolves one namespace to one identity whatever it is called', async () => {
    const { name } = await createNamed();
    const byName = resolveNetns({ name });
    const byPath = resolveNetns({ path: `/run/netns/${name}` });
    assert.deepEqual([byPath.dev, byPath.ino], [byName.dev, byName.ino]);
    const current = resolveNetns({ current: true });
    const self = resolveNetns({ pid: process.pid });
    assert.deepEqual([self.dev, self.ino], [current.dev, current.ino]);
    assert.notDeepEqual([current.dev, current.ino], [byName.dev, byName.ino]);
    assert.equal(self.label, `pid ${process.pid}`);
    assert.equal(current.label, 'current netns');
    const [fd] = await threads.openSockets({ pid: process.pid });
    openFds.push(fd);
    assert.ok(has(dumpLinks(fd), 'lo'));
  });

  it('keeps the main thread in its namespace while the worker hops', async () => {
    const a = await createNamed();
    const b = await createNamed();
    const seen: string[] = [];
    const requests: Array<Promise<number[]>> = [];
    for (let i = 0; i < 20; i++) {
      // Each callback runs on the main thread while the worker is away on later requests.
      requests.push(threads.openSockets({ name: i % 2 ? a.name : b.name }, 1).then((fds) => (seen.push(threadNetns()), fds)));
    }
    for (const fds of await Promise.all(requests)) openFds.push(...fds);
    assert.deepEqual(new Set(seen), new Set([mainNetns]));
  });

  it('leaks no fds or threads over 50 namespaces × openSockets, then close', async function () {
    this.timeout(120000);
    const pool = new NamespaceThreads();
    const fdsBefore = countEntries('/proc/self/fd');
    const tasksBefore = countEntries('/proc/self/task');
    const names: string[] = [];
    try {
      for (let i = 0; i < 50; i++) {
        const name = randomName();
        created.push(name);
        names.push(name);
        await pool.createNamed(name);
      }
      for (const name of names) {
        const fds = await pool.openSockets({ name }, 2);
        assert.equal(fds.length, 2);
        for (const fd of fds) sys.closeFd(fd);
      }
      for (const name of names) await pool.deleteNamed(name);
    } finally {
      await pool.close();
    }
    // Thread exit is reported before the kernel reaps the task; give it a moment.
    for (let i = 0; i < 50 && countEntries('/proc/self/task') > tasksBefore; i++) await new Promise((r) => setTimeout(r, 20));
    assert.equal(countEntries('/proc/self/fd'), fdsBefore, 'fds');
    assert.equal(countEntries('/proc/self/task'), tasksBefore, 'threads');
    for (const name of names) assert.ok(!threads.listNamed().includes(name));
  });

  it('deleteNamed removes the namespace', async () => {
    const { name } = await createNamed();
    await threads.deleteNamed(name);
    assert.ok(!ip('netns', 'list').includes(name));
    assert.throws(() => resolveNetns({ name }), { name: 'NetnsError', code: 'ENONETNS' });
    await assert.rejects(threads.deleteNamed(name), { code: 'ENONETNS', message: `netns ${name}: not found` });
  });

  it('names what is missing, and rejects bad names before any syscall', async () => {
    const missing = randomName();
    await assert.rejects(threads.openSockets({ name: missing }), (error: unknown) => {
      assert.ok(error instanceof NetnsError);
      assert.equal(error.code, 'ENONETNS');
      assert.match(error.message, new RegExp(`^netns ${missing}: not found`));
      return true;
    });
    await assert.rejects(threads.openSockets({ pid: 999999999 }), { code: 'ENONETNS', message: 'pid 999999999: no such process' });
    await assert.rejects(threads.openSockets({ path: '/nonexistent/ns' }), { code: 'ENONETNS' });
    await assert.rejects(threads.openSockets({ path: '/etc/hostname' }), { code: 'ENONETNS', message: /not a namespace file/ });

    const pool = new NamespaceThreads();
    const tasksBefore = countEntries('/proc/self/task');
    for (const bad of ['', 'a/b', '.', '..', 'x'.repeat(256), 'nul\0byte']) {
      await assert.rejects(pool.createNamed(bad), { name: 'NetnsError', code: 'EBADNAME' }, JSON.stringify(bad));
      await assert.rejects(pool.deleteNamed(bad), { code: 'EBADNAME' });
      await assert.rejects(pool.openSockets({ name: bad }), { code: 'EBADNAME' });
    }
    await assert.rejects(pool.openSockets({ current: true }, -1), RangeError);
    assert.equal(countEntries('/proc/self/task'), tasksBefore, 'no worker was started for bad input');
    await pool.close();
    await assert.rejects(pool.openSockets({ current: true }), { code: 'ECLOSED' });
  });

  it('refuses to create a name that exists', async () => {
    const { name } = await createNamed();
    await assert.rejects(threads.createNamed(name), { code: 'EEXIST', message: `netns ${name} already exists` });
    assert.match(ip('-n', name, 'link', 'show', 'lo'), /lo/, 'the existing namespace is untouched');
  });

  it('terminates and replaces a worker that cannot get home', async () => {
    const pool = new NamespaceThreads();
    const { name } = await createNamed();
    try {
      const before = homeNetnsFds();
      for (const fd of await pool.openSockets({ current: true })) sys.closeFd(fd);
      // Close the new worker's fd to its home netns (fds are process-wide):
      // its next hop cannot return home, which it must detect and report.
      const workerHomeFds = homeNetnsFds().filter((fd) => !before.includes(fd));
      assert.equal(workerHomeFds.length, 1, 'the worker holds one fd to its home netns');
      sys.closeFd(workerHomeFds[0]);
      // Count sockets only: the dead worker's own event-loop fds go away too.
      const socketsBefore = fdsLinkingTo(/^socket:/).length;
      await assert.rejects(pool.openSockets({ name }, 1), { code: 'ETHREAD', message: /could not return to its home netns/ });
      assert.equal(threadNetns(), mainNetns);
      assert.equal(fdsLinkingTo(/^socket:/).length, socketsBefore, 'the failed hop closed its socket');
      // A fresh worker serves the next request.
      const [fd] = await pool.openSockets({ name }, 1);
      openFds.push(fd);
      assert.ok(has(dumpLinks(fd), 'lo'));
    } finally {
      await pool.close();
    }
  });

  it('a worker that did not start where its starter lives refuses all work, even a request sent before ready', async () => {
    // As spawn.ts starts one, but told that its starter lives in another netns.
    const gate = newGate();
    writeGateBinding(gate, ffiBindingPath());
    Atomics.store(gate, 0, 1); // ffi-rs is loaded here (this file imports sys)
    const elsewhere = { dev: 0, ino: 1 };
    const worker = new Worker(new URL('../../src/ns/worker.js', import.meta.url), { execArgv: [], workerData: { gate, home: elsewhere } });
    const name = randomName();
    try {
      const messages: Array<Record<string, unknown>> = [];
      const twoMessages = new Promise<void>((resolve) => worker.on('message', (m) => { if (messages.push(m) === 2) resolve(); }));
      worker.postMessage({ id: 1, op: 'createNamed', name, path: `/run/netns/${name}`, count: 0 });
      await twoMessages;
      assert.equal(messages[0].ready, true);
      assert.deepEqual(messages[1], { id: 1, ok: false, fatal: true, code: 'ETHREAD', message: 'namespace worker is in an unknown namespace' });
      assert.ok(!threads.listNamed().includes(name), 'nothing was created');
      // Its home fd belongs to the process: close it as the pool would.
      sys.closeFd(messages[0].homeFd as number);
    } finally {
      await worker.terminate();
    }
  });

  it('a worker handed a wrong ffi-rs path resolves the package itself and still starts', async () => {
    const gate = newGate();
    writeGateBinding(gate, '/nonexistent/ffi-rs.node');
    Atomics.store(gate, 0, 1);
    const worker = new Worker(new URL('../../src/ns/worker.js', import.meta.url), { execArgv: [], workerData: { gate, home: threadNetnsId() } });
    try {
      const ready = await new Promise<Record<string, unknown>>((resolve, reject) => {
        worker.once('message', resolve);
        worker.once('error', reject);
      });
      assert.equal(ready.ready, true);
      sys.closeFd(ready.homeFd as number);
    } finally {
      await worker.terminate();
    }
  });

  it("passes what a worker prints on stderr to the process's stderr, though nothing pipes it (stderr: true)", () => {
    const workerUrl = new URL('../../src/ns/worker.js', import.meta.url).href;
    // The worker module, then a Node warning from that thread (printed through its process.stderr).
    const inWorker = `import(${JSON.stringify(workerUrl)}).then(() => {
      process.emitWarning('vethcon-test: printed by the worker');
      setTimeout(() => require('node:worker_threads').parentPort.postMessage('printed'), 50);
    });`;
    const script = `
      const { Worker } = require('node:worker_threads');
      const w = new Worker(${JSON.stringify(inWorker)}, { eval: true, execArgv: [], stdout: true, stderr: true });
      w.on('message', (m) => { if (m === 'printed') process.exit(0); });
      w.on('error', (e) => { console.log('error', e.message); process.exit(1); });`;
    const result = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', timeout: 10000 });
    assert.equal(result.status, 0, result.stdout + result.stderr);
    assert.match(result.stderr, /vethcon-test: printed by the worker/);
  });

  it('lets the process exit promptly while the pool is idle', function () {
    requireRoot(this);
    const poolUrl = new URL('../../src/ns/index.js', import.meta.url).href;
    const sysUrl = new URL('../../src/sys/index.js', import.meta.url).href;
    const script = `
      const { NamespaceThreads } = await import(${JSON.stringify(poolUrl)});
      const sys = await import(${JSON.stringify(sysUrl)});
      const threads = new NamespaceThreads();
      for (const fd of await threads.openSockets({ current: true }, 2)) sys.closeFd(fd);
      console.log('idle');`;
    const started = Date.now();
    const result = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 10000 });
    assert.equal(result.status, 0, result.stderr);
    assert.equal(result.stdout.trim(), 'idle');
    assert.ok(Date.now() - started < 5000, `took ${Date.now() - started} ms`);
    assert.equal(result.signal, null);
    assert.ok(statSync('/proc/self/ns/net'));
  });
});
