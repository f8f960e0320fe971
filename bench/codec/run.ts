// bench/codec: the pure codec's speed, no kernel involved.
//   npm run build && node dist/bench/codec/run.js
// Decodes a dump of 100,000 IPv4 routes and one of 10,000 links held in
// memory (captured kernel replies repeated with varied fields, packed into
// datagrams of at most 32 KiB the way the kernel packs a dump), and encodes
// 100,000 requests. Prints ms, objects/s and MB/s (median of several runs).

import {
  decodeMessages, forEachMessage, encodeMessage, encodeMessages, isLayout, Writer, RTNETLINK, NLMSG_DONE, RTM_NEWLINK, RTM_NEWROUTE, RTM_NEWADDR,
  type LayoutOfType, type Message, type RtnlMessage,
} from '../../src/netlink/index.js';
import { fixture, repliesOf } from '../../test/support/fixtures.js';
import { median } from '../stats.cjs';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

const DATAGRAM = 32 * 1024;
// A full collection before each timed run, so a run pays for the garbage it
// makes and keeps, not for what the runs before it left behind.
setFlagsFromString('--expose-gc');
const settle = runInNewContext('gc') as () => void;
const RUNS = Number(process.env.RUNS ?? 7);

/** First reply message of the given RTM type in a captured dump. */
function template<T extends number>(name: string, type: T, pick: (m: LayoutOfType<RtnlMessage, T>) => boolean = () => true): LayoutOfType<RtnlMessage, T> {
  for (const d of repliesOf(fixture(name))) {
    for (const m of decodeMessages(d, RTNETLINK)) if (isLayout(m, type) && pick(m)) return m;
  }
  throw new Error(`${name}: no message of type ${type}`);
}

/** Encode n variants of a template into kernel-sized datagrams. */
function datagrams(n: number, vary: (i: number) => Message): Uint8Array[] {
  const out: Uint8Array[] = [];
  const w = new Writer(DATAGRAM * 2);
  const one = new Writer(4096);
  for (let i = 0; i < n; i++) {
    one.reset();
    encodeMessage(one, vary(i), RTNETLINK);
    if (w.pos + one.pos > DATAGRAM) { out.push(w.take()); w.reset(); }
    w.pad4();
    w.bytes(one.buf.subarray(0, one.pos));
  }
  out.push(w.take());
  return out;
}

function measure(label: string, objects: number, bytes: number, run: () => number): void {
  run(); // warm-up
  const times: number[] = [];
  for (let r = 0; r < RUNS; r++) {
    settle();
    const t0 = performance.now();
    const count = run();
    times.push(performance.now() - t0);
    if (count !== objects) throw new Error(`${label}: decoded ${count} objects, expected ${objects}`);
  }
  const ms = median(times);
  console.log(`${label.padEnd(36)} ${ms.toFixed(1).padStart(8)} ms  ${Math.round(objects / (ms / 1000)).toLocaleString('en-US').padStart(12)} objects/s  ${(bytes / 1e6 / (ms / 1000)).toFixed(0).padStart(6)} MB/s  (min ${Math.min(...times).toFixed(1)}, max ${Math.max(...times).toFixed(1)})`);
}

/** Decode every datagram; `hold` keeps every object in an array, as a list call returns them. */
function decodeAll(chunks: Uint8Array[], hold: boolean): number {
  let n = 0;
  const keep: Message[] = [];
  for (const c of chunks) {
    forEachMessage(c, RTNETLINK, (m) => {
      if (m.type === NLMSG_DONE) return;
      if (hold) keep.push(m);
      n++;
    });
  }
  return n;
}

const ROUTES = 100_000;
const LINKS = 10_000;

// W3's routes are `198.18.0.0+k/32 via 10.200.0.2 dev pb-r0`: the captured
// /32 route gets a gateway, in the kernel's attribute order (table, dst, gateway, oif).
const route = template('route-dump-ipv4', RTM_NEWROUTE, (m) => m.header.dstLen === 32 && m.attrs.oif !== undefined);
const routeChunks = datagrams(ROUTES, (i) => ({
  ...route,
  header: { ...route.header, scope: 0 },
  attrs: { table: route.attrs.table, dst: `198.${18 + (i >> 16)}.${(i >> 8) & 255}.${i & 255}`, gateway: '10.200.0.2', oif: route.attrs.oif },
}));
const link = template('link-dump', RTM_NEWLINK, (m) => m.attrs.linkinfo?.kind === 'veth' || m.attrs.ifname !== 'lo');
const linkChunks = datagrams(LINKS, (i) => ({
  ...link, header: { ...link.header, index: i + 2 }, attrs: { ...link.attrs, ifname: `pb-x${i}` },
}));
const bytes = (cs: Uint8Array[]) => cs.reduce((n, c) => n + c.length, 0);

console.log(`node ${process.version}, ${RUNS} runs each, median`);
// Held: all objects alive at the end (V8 then copies them out of the young
// generation, which is most of the cost). Streamed: each object is visited and
// dropped, as a consumer of forEachMessage / routes.each does.
measure(`decode ${ROUTES.toLocaleString('en-US')} IPv4 routes, held`, ROUTES, bytes(routeChunks), () => decodeAll(routeChunks, true));
measure(`decode ${ROUTES.toLocaleString('en-US')} IPv4 routes, streamed`, ROUTES, bytes(routeChunks), () => decodeAll(routeChunks, false));
measure(`decode ${LINKS.toLocaleString('en-US')} links, held`, LINKS, bytes(linkChunks), () => decodeAll(linkChunks, true));
measure(`decode ${LINKS.toLocaleString('en-US')} links, streamed`, LINKS, bytes(linkChunks), () => decodeAll(linkChunks, false));

// 100,000 requests: `ip addr add 10.200.x.y/32 dev pb-c0`, as W4 sends them.
const addrReq = decodeMessages(Buffer.from(fixture('addr-add-ipv4').messages.find((m) => m.role === 'request')!.hex, 'hex'), RTNETLINK).find((m) => isLayout(m, RTM_NEWADDR));
if (!addrReq) throw new Error('addr-add-ipv4: no RTM_NEWADDR request');
const REQUESTS = 100_000;
let encodedBytes = 0;
const w = new Writer(1 << 16);
measure(`encode ${REQUESTS.toLocaleString('en-US')} addr requests`, REQUESTS, 0, () => {
  encodedBytes = 0;
  for (let i = 0; i < REQUESTS; i++) {
    const ip = `10.200.${(i / 250) & 255}.${(i % 250) + 1}`;
    w.reset();
    encodeMessage(w, { ...addrReq, seq: i, attrs: { ...addrReq.attrs, local: ip, address: ip } }, RTNETLINK);
    encodedBytes += w.pos;
  }
  return REQUESTS;
});
void encodeMessages;
