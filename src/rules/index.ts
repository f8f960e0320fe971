// Input rules, below both the library (src/api) and the wiring (src/wire):
// interface names, CIDRs, MACs, MTUs, namespace names, endpoints. Checked
// once per call path, before any syscall.

export * from './problems.js';
export * from './schemas.js';
export * from './validate.js';
