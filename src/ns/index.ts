// Network namespaces: handles (name / pid / path / current / fd → file + identity),
// pins (a namespace held open once resolved), process identities,
// and the worker threads that enter them, so the main thread never does.
export { NetnsError, NETNS_RUN_DIR, namedNetnsPath, resolveNetns, validateNetnsName } from './handle.js';
export type { NetnsErrorCode, NetnsRef, ResolvedNetns } from './handle.js';
export { NamespaceThreads, namespaceThreads } from './pool.js';
export type { CreateNamedOptions } from './pool.js';
export { socketNetns } from './socket-netns.js';
export { sameNetns, type NsIdentity } from './protocol.js';
/** End the process at once, worker threads and all (exit_group): for a command whose work is done. */
export { exitNow } from '../sys/index.js';
export { pinNetns, pinDrift, unpin, samePin, type PinnedNetns } from './pin.js';
export { selfProcess, processState, type ProcessIdentity } from './process.js';
export { machineLock, LOCK_DIR } from './lock.js';
