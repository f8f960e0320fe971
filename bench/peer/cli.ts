// bench/peer: vethcon as a peer of the netlink baseline harness
// (/work/shared/bench/peers, README "Adding a peer"). It speaks the same
// command line as the harness's pbbench-go:
//
//   npx tsc -p tsconfig.json
//   node dist/bench/peer/cli.js w1 NSA NSB N          -> total_s
//   node dist/bench/peer/cli.js w2 NS REPS            -> dump_ms x REPS, objects, cold_ms
//   node dist/bench/peer/cli.js w3 NS REPS            -> the same for the IPv4 main-table route dump
//   node dist/bench/peer/cli.js w4 NS IFNAME N        -> add_s, del_s
//   node dist/bench/peer/cli.js w5 NSA NSB            -> (nothing; whole process is timed)
//   node dist/bench/peer/cli.js getlink-lo NS N       -> getlink_lo_us_per_op
//   node dist/bench/peer/cli.js nop
//
// With the harness (see bench/README.md):
//   sudo PB_EXT_NAME=vethcon PB_EXT_CMD="node $PWD/dist/bench/peer/cli.js" \
//        PB_PEERS="vethcon go-netlink c-raw ip-batch" ./run-all.sh
//
// Only the library's public API is used: src/index.ts (open, Vethcon, Netns)
// and the request builders of src/netlink/index.ts sent with Netns.batch /
// Netns.request; W5 uses the exported connect(), what the `vethcon` command
// runs, from the same one-file build the command runs (dist/vethcon.cjs).
// Nothing is imported at start-up: `nop` and `w5` measure whole processes,
// so each subcommand imports only what it needs. This directory is CommonJS
// (its package.json) because a CommonJS entry starts ~6 ms sooner than an
// ES module one; the library itself is still imported as ES modules.
// The namespaces (other than W5's, which it creates) belong to the harness
// and are never deleted here. Every subcommand closes the library, so the
// process exits as soon as the work is done.
//
// Variants (environment, for experiments; the harness uses the defaults):
//   PB_VC_W4=raw     W4 through addAddress/deleteAddress builders + Netns.request
//                    (default: Netns.addAddress / deleteAddress with the ifindex,
//                    which validates the CIDR with zod on every call)
//   PB_VC_W1=serial  W1 one request at a time, go-netlink's order per pair
//                    (default: batched, see w1())
//   PB_VC_W3=lazy    W3 through Netns.routeList (RouteList: the dump kept as
//                    bytes, a Route made only when asked for) instead of listRoutes

type Api = typeof import('../../src/index.js');
type Bundle = typeof import('../../src/bundle.js');
type Vethcon = import('../../src/index.js').Vethcon;

const out = (key: string, value: number | string): void => {
  process.stdout.write(`${key} ${value}\n`);
};

function usage(msg: string): never {
  process.stderr.write(`bench/peer: ${msg}\n`);
  process.stderr.write('usage: cli.js w1 NSA NSB N | w2 NS REPS | w3 NS REPS | w4 NS IFNAME N | w5 NSA NSB | getlink-lo NS N | nop\n');
  process.exit(2);
}

function count(s: string | undefined, what: string): number {
  const n = Number(s);
  if (!Number.isSafeInteger(n) || n < 0) usage(`${what} must be a non-negative integer, got ${JSON.stringify(s)}`);
  return n;
}

/** Open the library, run body, always close it. */
async function withLibrary<T>(body: (api: Api, vc: Vethcon) => Promise<T>): Promise<T> {
  // Start the namespace worker first, so its start-up overlaps loading the
  // rest (the CLI does the same); the ns module also loads the FFI first.
  const { NamespaceThreads } = await import('../../src/ns/index.js');
  const threads = new NamespaceThreads();
  threads.prestart();
  const api = await import('../../src/index.js');
  const vc = new api.Vethcon({ threads });
  try {
    return await body(api, vc);
  } finally {
    await vc.close();
  }
}

// ------------------------------------------------------------------ W1

/**
 * N veth pairs pb-a<i> (in A, up at creation) <-> pb-b<i> (created directly in
 * B), 10.200.0.0+4i+1/30 on pb-a<i>, +2/30 on pb-b<i>, pb-b<i> set up.
 * Batched: all creations in one Netns.createLinks on A, whose echoes name
 * both ends' ifindexes (one link dump per namespace instead on kernels before
 * 6.3); A's addresses in one batch; B's addresses and set-ups in one batch. Timed from the first request to the last ack; the sockets and the
 * fd of B are opened before the clock starts.
 */
async function w1(nsa: string, nsb: string, n: number): Promise<void> {
  const { openSync, closeSync } = await import('node:fs');
  const nl = await import('../../src/netlink/index.js');
  await withLibrary(async (_api, vc) => {
    const a = await vc.netns(nsa);
    const b = await vc.netns(nsb);
    const fdB = openSync(`/run/netns/${nsb}`, 'r');
    const quad = (i: number, k: number): string => {
      const v = 4 * i + k;
      return `10.200.${v >> 8}.${v & 255}/30`;
    };
    try {
      let t0: number;
      if (process.env.PB_VC_W1 === 'serial') {
        t0 = performance.now();
        for (let i = 0; i < n; i++) {
          await a.request(nl.addLink({ ifname: `pb-a${i}`, kind: 'veth', up: true, peer: { ifname: `pb-b${i}`, netNsFd: fdB } }), `create pb-a${i}`);
          const ia = await a.ifindex(`pb-a${i}`);
          await a.addAddress(ia, quad(i, 1));
          const ib = await b.ifindex(`pb-b${i}`);
          await b.addAddress(ib, quad(i, 2));
          await b.setLink(ib, { up: true });
        }
      } else {
        t0 = performance.now();
        const creates = [];
        for (let i = 0; i < n; i++) {
          creates.push(nl.addLink({ ifname: `pb-a${i}`, kind: 'veth', up: true, peer: { ifname: `pb-b${i}`, netNsFd: fdB } }));
        }
        const made = await a.createLinks(creates, 'create veth');
        firstError(made.map((m) => (m instanceof Error ? m : undefined)));
        // Both ifindexes come with each echo (kernels since 6.3); older kernels need a dump of each side.
        const echoed = made.every((m) => m !== undefined && !(m instanceof Error) && m.link !== undefined);
        const [la, lb] = echoed ? [[], []] : await Promise.all([a.listLinks(), b.listLinks()]);
        const ia = new Map(la.map((l) => [l.ifname, l.ifindex]));
        const ib = new Map(lb.map((l) => [l.ifname, l.ifindex]));
        const reqA = [];
        const reqB = [];
        for (let i = 0; i < n; i++) {
          const m = made[i] as { ifindex: number; link?: number } | undefined;
          const xa = echoed ? m?.ifindex : ia.get(`pb-a${i}`);
          const xb = echoed ? m?.link : ib.get(`pb-b${i}`);
          if (xa === undefined || xb === undefined) throw new Error(`pair ${i} not found after creation`);
          reqA.push(nl.addAddress({ index: xa, cidr: quad(i, 1) }));
          reqB.push(nl.addAddress({ index: xb, cidr: quad(i, 2) }), nl.setLink(xb, { up: true }));
        }
        const [ra, rb] = await Promise.all([a.batch(reqA, 'address A'), b.batch(reqB, 'address/up B')]);
        firstError(ra);
        firstError(rb);
      }
      out('total_s', ((performance.now() - t0) / 1e3).toFixed(6));
    } finally {
      closeSync(fdB);
    }
  });
}

function firstError(results: (Error | undefined)[]): void {
  const e = results.find((r) => r !== undefined);
  if (e) throw e;
}

// ------------------------------------------------------------------ W2 / W3

/** 1 untimed warm-up, then reps timed dumps decoded into the library's objects. */
async function dumps(ns: string, reps: number, what: 'links' | 'routes'): Promise<void> {
  await withLibrary(async (_api, vc) => {
    const h = await vc.netns(ns);
    // PB_VC_W3=lazy: Netns.routeList, the routes kept as bytes and made into objects on demand (none here).
    const lazy = what === 'routes' && process.env.PB_VC_W3 === 'lazy';
    const once = (): Promise<{ length: number }> => (what === 'links' ? h.listLinks() : lazy ? h.routeList({ family: 'inet' }) : h.listRoutes({ family: 'inet' }));
    let t = performance.now();
    let objects = (await once()).length;
    out('cold_ms', (performance.now() - t).toFixed(3));
    for (let r = 0; r < reps; r++) {
      t = performance.now();
      objects = (await once()).length;
      out('dump_ms', (performance.now() - t).toFixed(3));
    }
    out('objects', objects);
  });
}

// ------------------------------------------------------------------ W4

/**
 * N adds of 10.200.(i/250).(i%250+1)/32, then N deletes; one request (one
 * netlink message, each with its own ack) per address. By default they are
 * pipelined with Netns.batch, many per send, as the harness's c-raw-batch64
 * does; PB_VC_W4=single awaits each through Netns.addAddress, PB_VC_W4=raw
 * each through Netns.request.
 */
async function w4(ns: string, ifname: string, n: number): Promise<void> {
  const cidrs: string[] = [];
  for (let i = 0; i < n; i++) cidrs.push(`10.200.${Math.floor(i / 250)}.${(i % 250) + 1}/32`);
  const mode = process.env.PB_VC_W4 ?? 'batch';
  const nl = mode !== 'single' ? await import('../../src/netlink/index.js') : undefined;
  await withLibrary(async (_api, vc) => {
    const h = await vc.netns(ns);
    const index = await h.ifindex(ifname);
    if (nl && mode === 'batch') {
      let t0 = performance.now();
      firstError(await h.batch(cidrs.map((cidr) => nl.addAddress({ index, cidr })), 'add'));
      out('add_s', ((performance.now() - t0) / 1e3).toFixed(6));
      t0 = performance.now();
      firstError(await h.batch(cidrs.map((cidr) => nl.deleteAddress({ index, cidr })), 'delete'));
      out('del_s', ((performance.now() - t0) / 1e3).toFixed(6));
      return;
    }
    let t0 = performance.now();
    if (nl) {
      for (const cidr of cidrs) await h.request(nl.addAddress({ index, cidr }), `add ${cidr}`);
    } else {
      for (const cidr of cidrs) await h.addAddress(index, cidr);
    }
    out('add_s', ((performance.now() - t0) / 1e3).toFixed(6));
    t0 = performance.now();
    if (nl) {
      for (const cidr of cidrs) await h.request(nl.deleteAddress({ index, cidr }), `delete ${cidr}`);
    } else {
      for (const cidr of cidrs) await h.deleteAddress(index, cidr);
    }
    out('del_s', ((performance.now() - t0) / 1e3).toFixed(6));
  });
}

// ------------------------------------------------------------------ W5

/**
 * The seed scenario in one process: create both named namespaces (each with a
 * socket opened inside it on the way), then connect(): veth pb-w5-va in A with
 * pb-w5-vb created directly in B, 10.10.1.2/24 and 10.10.1.3/24, both up.
 */
async function w5(nsa: string, nsb: string): Promise<void> {
  // As the command starts (src/cli/start.ts): the worker boots while the rest loads.
  const build = require('../../vethcon.cjs') as Bundle;
  const threads = await build.startNamespaceThreads();
  const api = await build.api();
  const vc = new api.Vethcon({ threads });
  // Both asked at once: the worker makes them one after the other, with no round trip between.
  await Promise.all([vc.namespaces.create(nsa), vc.namespaces.create(nsb)]);
  await api.connect(
    { ns: { type: 'netns', name: nsa }, ifname: 'pb-w5-va', addresses: ['10.10.1.2/24'] },
    { ns: { type: 'netns', name: nsb }, ifname: 'pb-w5-vb', addresses: ['10.10.1.3/24'] },
    { client: vc },
  );
  // No close: the sockets and the worker are left to the process exit, as the command does.
  return build.exitWhenDone(0, true);
}

// ------------------------------------------------------------------ F

/**
 * N x get link ifindex 1 (lo), decoded into a Link, one request each: the
 * per-request floor with the handle open. The JIT needs a few thousand calls
 * to settle (the first 1,000 cost ~3-4x the steady state), so 10,000 untimed
 * calls go first; their first 1,000 are reported as getlink_lo_cold_us_per_op.
 */
async function getlinkLo(ns: string, n: number): Promise<void> {
  await withLibrary(async (_api, vc) => {
    const h = await vc.netns(ns);
    let t0 = performance.now();
    for (let i = 0; i < 1000; i++) await h.getLink(1);
    out('getlink_lo_cold_us_per_op', (performance.now() - t0).toFixed(3));
    for (let i = 1000; i < 10_000; i++) await h.getLink(1);
    t0 = performance.now();
    for (let i = 0; i < n; i++) await h.getLink(1);
    out('getlink_lo_us_per_op', (((performance.now() - t0) * 1e3) / n).toFixed(3));
  });
}

// ------------------------------------------------------------------ main

async function main(argv: string[]): Promise<void> {
  const [cmd, ...a] = argv;
  const need = (k: number) => {
    if (a.length !== k) usage(`${cmd} takes ${k} arguments, got ${a.length}`);
  };
  switch (cmd) {
    case 'nop':
      return;
    case 'w1':
      need(3);
      return w1(a[0], a[1], count(a[2], 'N'));
    case 'w2':
      need(2);
      return dumps(a[0], count(a[1], 'REPS'), 'links');
    case 'w3':
      need(2);
      return dumps(a[0], count(a[1], 'REPS'), 'routes');
    case 'w4':
      need(3);
      return w4(a[0], a[1], count(a[2], 'N'));
    case 'w5':
      need(2);
      return w5(a[0], a[1]);
    case 'getlink-lo':
      need(2);
      return getlinkLo(a[0], count(a[1], 'N'));
    default:
      usage(`unknown subcommand ${JSON.stringify(cmd)}`);
  }
}

main(process.argv.slice(2)).then(
  // Like the CLI: exit as soon as the work is done (the kernel closes the sockets).
  () => process.exit(0),
  (e: unknown) => {
    process.stderr.write(`bench/peer ${process.argv[2]}: ${e instanceof Error ? (process.env.PB_VC_DEBUG ? e.stack : e.message) : String(e)}\n`);
    process.exitCode = 1;
  },
);

export {};
