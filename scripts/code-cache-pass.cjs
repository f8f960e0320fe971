// scripts/code-cache-pass.cjs DIST: the build's code cache pass (run by
// scripts/bundle.mjs with VETHCON_BUILD_CODE_CACHE=DIR; see its header).
//
// V8's code cache holds the functions compiled when it is made, so this runs
// the one-file build the way a real connect does, as far as it can without
// root and without changing anything: it starts the namespace threads as the
// command does (the worker, then ffi-rs), loads the API (connect, the client,
// the codec, the system layer), dumps links, addresses and routes of its own
// namespace (read only), asks the worker for a socket in its own namespace
// (EPERM without root; either way its cache is written once it has answered),
// runs connect between two namespaces that do not exist (it fails before
// changing anything), and ends with a dry run through the command line (its
// live checks, in the current namespace), whose exit writes the main cache. Each step but the last may fail where the build
// runs (no netlink, no /proc): the cache then holds less, and that is all.
'use strict';
const { closeSync } = require('node:fs');
const { join } = require('node:path');

const dist = process.argv[2];
if (!dist || !process.env.VETHCON_BUILD_CODE_CACHE) throw new Error('usage: VETHCON_BUILD_CODE_CACHE=DIR node scripts/code-cache-pass.cjs DIST');

const quietly = async (what, step) => {
  try {
    await step();
  } catch (error) {
    if (process.env.VETHCON_DEBUG) process.stderr.write(`code cache pass: ${what}: ${error.message}\n`);
  }
};

async function pass() {
  const bundle = require(join(dist, 'vethcon.cjs'));
  const threads = await bundle.startNamespaceThreads();
  const api = await bundle.api();
  const client = new api.Vethcon({ threads });
  await quietly('dump', async () => {
    await client.links.list();
    await client.addresses.list();
    await client.routes.list();
    await client.neighbours.list();
  });
  await quietly('worker', async () => {
    for (const fd of await threads.openSockets({ current: true })) closeSync(fd);
  });
  // A lab file checked and spelled out (no namespace touched): the lab code and zod's.
  await quietly('lab', async () => {
    api.parseLab({
      name: 'cache-pass',
      nodes: { a: { netns: 'vethcon-cache-pass-a' }, b: { netns: 'vethcon-cache-pass-b' }, c: { container: 'c' }, p: { pid: 1 }, h: { current: true } },
      links: [
        { endpoints: ['a:eth1:10.0.0.1/30', 'b:eth1:10.0.0.2/30'], mtu: 9000 },
        { endpoints: ['a:eth2:2001:db8::1/64', { node: 'c', ifname: 'eth1', addresses: ['2001:db8::2/64'], mtu: 1500, mac: '02:00:00:00:00:01' }] },
        { endpoints: ['p:eth1'], macvlan: { parent: 'eth0' } },
      ],
      defaults: { mtu: 1500 },
    }, 'code cache pass');
  });
  // No such namespaces (a name with this pid and time): fails with ENONETNS.
  const missing = (side) => ({ ns: { type: 'netns', name: `vethcon-cache-pass-${process.pid}-${Date.now()}-${side}` }, ifname: `vc${side}`, addresses: ['10.0.0.1/24'] });
  await quietly('connect', () => api.connect(missing('a'), missing('b'), { client }));
  // Exits (process.exit): the main cache is written on exit. A dry run makes
  // the live checks of a real run, which need root: without it (or with one of
  // these names taken) it exits 2, and the pass has still run its code.
  const exit = process.exit;
  process.exit = () => exit(0);
  const name = (side) => `vcc${side}${process.pid % 100000}`;
  await bundle.runCli(['--dry-run', '-c', `${name('a')},10.0.0.1/24`, '-c', `${name('b')},10.0.0.2/24`, '--mtu', '1500']);
}

pass().catch((error) => {
  process.stderr.write(`code cache pass: ${error.stack}\n`);
  process.exit(1);
});
