// Starting the `vethcon` command, shared by the ESM bin (bin.ts) and the
// one-file build (src/bundle.ts). When the command will touch a namespace,
// the namespace worker is started first of all (spawn.ts: it boots in ~25–35 ms
// without ffi-rs), then ffi-rs is loaded here (importing ns/) and the worker
// told go, and only then is everything else loaded, while the worker boots.

import { prestartWorker } from '../ns/spawn.js';
import type { NamespaceThreads } from '../ns/index.js';
import type { MainOptions } from './main.js';

/** Will this command line enter a namespace (not help, not a connect's dry run)? */
export function touchesNamespaces(argv: string[]): boolean {
  const help = argv.some((a) => a === '-h' || a === '--help');
  // gc and show look into every namespace (gc even for a dry run); a lab's
  // apply and destroy into its nodes' (a dry run too: it makes every live check).
  if (argv[0] === 'gc' || argv[0] === 'show' || argv[0] === 'apply' || argv[0] === 'destroy') return !help;
  return argv.some((a) => /^-[dnpaDNPA]/.test(a)) && !argv.includes('--dry-run') && !help;
}

/**
 * Namespace threads whose worker is booting: started first, then ffi-rs
 * loaded here (importing ns/), then the worker told go. Load the rest after.
 */
export async function startNamespaceThreads(): Promise<NamespaceThreads> {
  prestartWorker();
  const ns = await import('../ns/index.js');
  const threads = new ns.NamespaceThreads();
  threads.prestart(); // takes the worker and tells it go: ffi-rs is loaded now
  return threads;
}

/**
 * Exit as soon as the work is done: the kernel closes our sockets, and
 * waiting for the worker to wind down would only add milliseconds (writes to
 * stdout and stderr are synchronous on Linux, so nothing printed is lost).
 * `namespaces`: this process loaded ffi-rs and may have a worker (ns.exitNow).
 */
export async function exitWhenDone(code: number, namespaces: boolean): Promise<never> {
  if (namespaces) (await import('../ns/index.js')).exitNow(code);
  process.exit(code);
}

/** Run the command line and exit with its status. */
export async function runCli(argv: string[], extra: Pick<MainOptions, 'beforeWiring' | 'afterCreate'> = {}): Promise<never> {
  let threads: NamespaceThreads | undefined;
  try {
    threads = touchesNamespaces(argv) ? await startNamespaceThreads() : undefined;
  } catch (error) {
    // Nothing was changed: ffi-rs (or the system layer) would not load. Said
    // as any failure is (`vethcon: ...`, exit 1), not as a stack trace. The
    // booting worker never loaded ffi-rs: a plain exit ends it.
    const { reportFailure } = await import('./main.js');
    return exitWhenDone(reportFailure(error, argv.includes('--json')), false);
  }
  const { main } = await import('./main.js');
  return exitWhenDone(await main(argv, { ...extra, threads, exitWhenDone: true }), threads !== undefined);
}
