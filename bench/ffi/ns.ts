// What namespace work costs: worker start, a hop that opens sockets
// (openSockets), createNamed/deleteNamed, and one hopper worker versus a
// worker per namespace. Needs root:
//   npx tsc -p tsconfig.json && node dist/bench/ffi/ns.js
// Creates and removes its own vcbench-<random> namespaces.

import { randomBytes } from 'node:crypto';
import { Worker } from 'node:worker_threads';
import * as sys from '../../src/sys/index.js'; // loads ffi-rs on the main thread first
import { NamespaceThreads } from '../../src/ns/index.js';
import { ascending, quantile } from '../stats.cjs';

const ms = (start: number): number => performance.now() - start;
const stats = (samples: number[]): string => {
  const sorted = ascending(samples);
  return `median ${quantile(sorted, 0.5).toFixed(3)} ms  p90 ${quantile(sorted, 0.9).toFixed(3)} ms  (n=${sorted.length})`;
};
const line = (label: string, value: string) => console.log(`  ${label.padEnd(46)} ${value}`);
const closeAll = (fds: number[]) => fds.forEach((fd) => sys.closeFd(fd));
const names: string[] = [];
const newName = () => {
  const name = `vcbench-${randomBytes(4).toString('hex')}`;
  names.push(name);
  return name;
};

async function timeWorkerStart(url: URL, runs: number): Promise<number[]> {
  const samples: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    const worker = new Worker(url, { execArgv: [] });
    worker.postMessage({ go: true }); // the namespace worker waits for it (src/ns/spawn.ts); ffi-rs is loaded here
    await new Promise((resolve) => worker.once('message', resolve));
    samples.push(ms(start));
    await worker.terminate();
  }
  return samples;
}

async function main(): Promise<void> {
  if (process.getuid?.() !== 0) throw new Error('bench/ffi/ns needs root');
  const threads = new NamespaceThreads();

  console.log('worker start (new Worker → first message):');
  const emptyWorker = new URL('data:text/javascript,import("node:worker_threads").then(w=>w.parentPort.postMessage(1))');
  line('empty ESM worker', stats(await timeWorkerStart(emptyWorker, 10)));
  line('namespace worker (loads ffi-rs, opens home fd)', stats(await timeWorkerStart(new URL('../../src/ns/worker.js', import.meta.url), 10)));
  let start = performance.now();
  closeAll(await threads.openSockets({ current: true }, 1));
  line('first openSockets on a fresh pool (start + hop)', `${ms(start).toFixed(3)} ms`);

  const target = newName();
  closeAll(await threads.createNamed(target));
  console.log(`openSockets({ name }) on a started hopper, one request at a time:`);
  for (const count of [0, 1, 4]) {
    const samples: number[] = [];
    for (let i = 0; i < 200; i++) {
      start = performance.now();
      const fds = await threads.openSockets({ name: target }, count);
      samples.push(ms(start));
      closeAll(fds);
    }
    line(`${count} socket(s)`, stats(samples));
  }

  console.log('createNamed / deleteNamed on a started hopper:');
  for (const sockets of [0, 1]) {
    const create: number[] = [];
    const remove: number[] = [];
    for (let i = 0; i < 20; i++) {
      const name = newName();
      start = performance.now();
      closeAll(await threads.createNamed(name, { sockets }));
      create.push(ms(start));
      start = performance.now();
      await threads.deleteNamed(name);
      remove.push(ms(start));
    }
    line(`createNamed, ${sockets} socket(s)`, stats(create));
    line('deleteNamed', stats(remove));
  }

  const N = 20;
  const many: string[] = [];
  for (let i = 0; i < N; i++) {
    const name = newName();
    many.push(name);
    closeAll(await threads.createNamed(name));
  }
  console.log(`one socket in each of ${N} namespaces:`);
  start = performance.now();
  for (const name of many) closeAll(await threads.openSockets({ name }, 1));
  line('one hopper, sequential awaits', `${ms(start).toFixed(1)} ms total`);
  start = performance.now();
  for (const fds of await Promise.all(many.map((name) => threads.openSockets({ name }, 1)))) closeAll(fds);
  line('one hopper, all requests queued at once', `${ms(start).toFixed(1)} ms total`);
  const pair = [new NamespaceThreads(), new NamespaceThreads()];
  await Promise.all(pair.map(async (p) => closeAll(await p.openSockets({ current: true }))));
  start = performance.now();
  const split = await Promise.all(many.map((name, i) => pair[i % 2].openSockets({ name }, 1)));
  line('two started hoppers, split', `${ms(start).toFixed(1)} ms total`);
  split.forEach(closeAll);
  await Promise.all(pair.map((p) => p.close()));

  const rssBefore = process.memoryUsage().rss;
  start = performance.now();
  const perNamespace = many.map(() => new NamespaceThreads());
  const fds = await Promise.all(many.map((name, i) => perNamespace[i].openSockets({ name }, 1)));
  line('a new worker per namespace (started in parallel)', `${ms(start).toFixed(1)} ms total`);
  line('  memory for those workers', `${((process.memoryUsage().rss - rssBefore) / N / 2 ** 20).toFixed(1)} MiB RSS each`);
  fds.forEach(closeAll);
  await Promise.all(perNamespace.map((p) => p.close()));

  for (const name of names) await threads.deleteNamed(name).catch(() => {});
  await threads.close();
}

main().catch(async (error) => {
  console.error(error);
  process.exitCode = 1;
});
