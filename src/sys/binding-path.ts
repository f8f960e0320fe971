// Where this process found ffi-rs's prebuilt binary, so that a namespace
// worker can load the very same file by path: resolving the package again
// costs a booting worker ~1.5 ms of cold module-resolution code. The main
// thread records it (ffi.ts); a worker's entry sets it from what the main
// thread handed over, before ffi.ts loads there. No imports: a worker's first
// file carries this module.

let known: string | undefined;

/** The binary's absolute path, if this thread has one. */
export function ffiBindingPath(): string | undefined {
  return known;
}

export function setFfiBindingPath(path: string | undefined): void {
  known = path;
}
