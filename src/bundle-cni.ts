// The entry of dist/vethcon-cni.cjs, the one-file CommonJS build of the CNI
// plugin (scripts/bundle.mjs). Its namespace worker is the package's
// CommonJS worker, dist/vethcon-worker.cjs, beside it.
//
//   node dist/vethcon-cni.cjs        with CNI_COMMAND and friends set, config on stdin

import { setWorkerScript } from './ns/spawn.js';

// import.meta.url is this module's place in dist/src (the bundle maps it there).
setWorkerScript(new URL('../vethcon-worker.cjs', import.meta.url));

export { runPlugin } from './cni/main.js';
