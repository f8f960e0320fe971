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
try {
  process.exitCode = await main(argv, { threads });
} finally {
  // A worker still starting would keep the process alive after a usage error.
  await threads?.close();
}
