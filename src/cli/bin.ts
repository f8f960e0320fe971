#!/usr/bin/env node
// The `vethcon` executable. When the command will touch a namespace, the
// namespace worker starts first, so its start-up (tens of ms) overlaps the
// loading of everything else; importing ns/ also loads the FFI on this
// thread before the worker does, as it must.
import type { NamespaceThreads } from '../ns/index.js';

const argv = process.argv.slice(2);
let threads: NamespaceThreads | undefined;
if (argv.some((a) => /^-[dnpaDNPA]/.test(a)) && !argv.some((a) => a === '--dry-run' || a === '-h' || a === '--help')) {
  const ns = await import('../ns/index.js');
  threads = new ns.NamespaceThreads();
  threads.prestart();
}
const { main } = await import('./main.js');
// Exit as soon as the work is done: the kernel closes our sockets, and
// waiting for the worker to wind down would only add milliseconds (writes to
// stdout and stderr are synchronous on Linux, so nothing printed is lost).
process.exit(await main(argv, { threads, exitWhenDone: true }));
