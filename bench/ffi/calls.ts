// Per-call cost of the ways ffi-rs can call libc, and of the binding
// src/sys (src/sys/ffi.ts) chose. Run as root or not:
//   npx tsc -p tsconfig.json && node dist/bench/ffi/calls.js
// This bench imports ffi-rs directly to compare binding styles side by side;
// library code reaches ffi-rs only through src/sys.
//
// Variants run interleaved in rounds (the VM is shared and noisy); we print
// the median and the best round per variant, in µs per call (or per round trip).

import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { arrayConstructor, DataType, define, load, open } from 'ffi-rs';
import * as sys from '../../src/sys/index.js';
import { quantile } from '../stats.cjs';

const ROUNDS = Number(process.env.ROUNDS ?? 15);
const CALLS = Number(process.env.CALLS ?? 20000);

type Variant = { name: string; run: () => void };

function measure(variants: Variant[]): void {
  const samples = new Map<string, number[]>(variants.map((v) => [v.name, []]));
  for (const v of variants) for (let i = 0; i < CALLS / 4; i++) v.run(); // warm up the JIT
  for (let round = 0; round < ROUNDS; round++) {
    for (const v of variants) {
      const start = process.hrtime.bigint();
      for (let i = 0; i < CALLS; i++) v.run();
      samples.get(v.name)!.push(Number(process.hrtime.bigint() - start) / CALLS / 1000);
    }
  }
  for (const v of variants) {
    const sorted = samples.get(v.name)!.sort((a, b) => a - b);
    console.log(`  ${v.name.padEnd(52)} median ${quantile(sorted, 0.5).toFixed(2).padStart(6)} µs   best ${sorted[0].toFixed(2).padStart(6)} µs`);
  }
}

open({ library: 'libc', path: '' });
const I32 = DataType.I32;
const U64 = DataType.U64;
// Loose shape: ffi-rs's typings do not model a reused params object.
type Params = { library: string; funcName: string; retType: DataType; paramsType: unknown[]; paramsValue: unknown[]; errno: boolean; freeResultMemory: boolean };
const call = load as unknown as (p: Params) => unknown; // index.js wrapper
const prepared = (funcName: string, retType: DataType, paramsType: unknown[], values: unknown[], errno: boolean): Params =>
  ({ library: 'libc', funcName, retType, paramsType, paramsValue: values, errno, freeResultMemory: false });
const u8 = (length: number) => arrayConstructor({ type: DataType.U8Array, length });

// Time to load each way, in a fresh process each (module caches are per process).
function importMs(specifier: string): number {
  const load = specifier.endsWith('.node')
    ? `(await import('node:module')).createRequire(import.meta.url)(${JSON.stringify(specifier)})`
    : `await import(${JSON.stringify(specifier)})`;
  const script = `const t = performance.now(); ${load}; console.log(performance.now() - t);`;
  const samples = [1, 2, 3, 4, 5].map(() => Number(spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' }).stdout));
  return samples.sort((a, b) => a - b)[2];
}
const require = createRequire(import.meta.url);
const nativePath = createRequire(require.resolve('ffi-rs')).resolve(`@yuuang/ffi-rs-linux-${process.arch}-gnu`);
console.log('load time (median of 5 fresh processes):');
console.log(`  import('ffi-rs') (index.js: musl check via process.report)   ${importMs(require.resolve('ffi-rs')).toFixed(1)} ms`);
console.log(`  require the prebuilt binary directly                           ${importMs(nativePath).toFixed(1)} ms`);
console.log(`  import src/sys (binary + symbols warmed)                     ${importMs(new URL('../../src/sys/index.js', import.meta.url).href).toFixed(1)} ms`);

const native = require(nativePath) as { load: typeof call };
console.log('getppid (the syscall itself is ~0.2 µs):');
const wrapped = define({ getppid: { library: 'libc', retType: I32, paramsType: [] } });
const ppid = prepared('getppid', I32, [], [], false);
const ppidErrno = prepared('getppid', I32, [], [], true);
measure([
  { name: 'define() wrapper', run: () => wrapped.getppid([]) },
  { name: "ffi-rs load(), prebuilt params object", run: () => call(ppid) },
  { name: 'native load(), prebuilt params object (src/sys)', run: () => native.load(ppid) },
  { name: 'native load(), prebuilt, errno: true', run: () => native.load(ppidErrno) },
]);

// A netlink round trip: RTM_GETLINK for ifindex 1 (lo), one RTM_NEWLINK back.
const fd = sys.openNetlinkSocket();
const request = Buffer.alloc(32);
request.writeUInt32LE(32, 0); // nlmsg_len
request.writeUInt16LE(18, 4); // RTM_GETLINK
request.writeUInt16LE(1, 6); // NLM_F_REQUEST
request.writeInt32LE(1, 20); // ifi_index = 1
const reply = Buffer.alloc(65536);
const addressOf = (buf: Buffer) => call(prepared('memcpy', U64, [u8(buf.length), u8(buf.length), I32], [buf, buf, 0], false)) as number;
const requestAddress = addressOf(request);
const replyAddress = addressOf(reply);

const sendU8 = prepared('send', I32, [I32, u8(32), I32, I32], [fd, request, 32, 0], true);
const recvU8 = prepared('recv', I32, [I32, u8(65536), I32, I32], [fd, reply, 65536, 0], true);
const sendAddr = prepared('send', I32, [I32, U64, I32, I32], [fd, requestAddress, 32, 0], true);
const recvAddr = prepared('recv', I32, [I32, U64, I32, I32], [fd, replyAddress, 65536, 0], true);
const sendAddrNoErrno = prepared('send', I32, [I32, U64, I32, I32], [fd, requestAddress, 32, 0], false);
const recvAddrNoErrno = prepared('recv', I32, [I32, U64, I32, I32], [fd, replyAddress, 65536, 0], false);
const writeAddr = prepared('write', I32, [I32, U64, I32], [fd, requestAddress, 32], true);
const readAddr = prepared('read', I32, [I32, U64, I32], [fd, replyAddress, 65536], true);

sys.sendBytes(fd, request, 32);
const n = sys.recvBytes(fd, reply, 0);
if (n <= 0 || reply.readUInt16LE(4) !== 16) throw new Error(`expected RTM_NEWLINK, got ${n} bytes of type ${reply.readUInt16LE(4)}`);

console.log(`send + recv of RTM_GETLINK ifindex 1 (${n}-byte reply):`);
measure([
  { name: 'U8Array buffer params, errno: true', run: () => (call(sendU8), call(recvU8)) },
  { name: 'address (U64) params, errno: true', run: () => (call(sendAddr), call(recvAddr)) },
  { name: 'address params, no errno (not correct)', run: () => (call(sendAddrNoErrno), call(recvAddrNoErrno)) },
  { name: 'write/read, address params, errno: true', run: () => (call(writeAddr), call(readAddr)) },
  { name: 'sys.sendBytes + sys.recvBytes (the chosen binding)', run: () => (sys.sendBytes(fd, request, 32), sys.recvBytes(fd, reply, 0)) },
]);

console.log('one call, nothing pending (EAGAIN):');
const eagainU8 = prepared('recv', I32, [I32, u8(65536), I32, I32], [fd, reply, 65536, sys.MSG_DONTWAIT], true);
measure([
  { name: 'recv U8Array param, errno: true', run: () => call(eagainU8) },
  { name: 'sys.recvBytes(MSG_DONTWAIT)', run: () => sys.recvBytes(fd, reply, sys.MSG_DONTWAIT) },
  { name: 'sys.peekDatagramSize', run: () => sys.peekDatagramSize(fd) },
]);
sys.closeFd(fd);
