// The entry of dist/vethcon.cjs, the one-file CommonJS build of the CLI and
// the API (scripts/bundle.mjs): one compile instead of ~60 ES module loads,
// and a CommonJS namespace worker (dist/vethcon-worker.cjs) that boots ~20 ms
// sooner. Only that build uses this module.
//
//   node dist/vethcon.cjs ARGS...           the vethcon command
//   require('vethcon/dist/vethcon.cjs')     { startNamespaceThreads, api, exitWhenDone, runCli }

import { setWorkerScript } from './ns/spawn.js';

// import.meta.url is this module's place in dist/src (the bundle maps it there).
setWorkerScript(new URL('../vethcon-worker.cjs', import.meta.url));

export { exitWhenDone, runCli, startNamespaceThreads } from './cli/start.js';

/** The library's API (src/index.ts), from this build. */
export const api = (): Promise<typeof import('./index.js')> => import('./index.js');
