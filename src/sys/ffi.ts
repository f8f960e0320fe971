// The only file in vethcon that imports ffi-rs: it loads the native binding
// once per thread and calls C functions through prebuilt params objects.
//
// Loading: importing the system layer loads ffi-rs on the importing thread.
// ffi-rs must be loaded on the MAIN thread before any worker thread loads it,
// or the process segfaults when that worker exits; src/ns/pool.ts imports
// this layer (on the main thread) before it starts a worker for that reason.
//
// Speed (see bench/ffi/calls.ts): every call goes through ffi-rs's native
// `load()` with one prebuilt params object per function (only `paramsValue`
// changes), ~3x cheaper than `define()` wrappers. The prebuilt binary is
// required directly (see loadBinding), which saves ~10 ms per thread.
//
// errno: calls that can fail use ffi-rs `errno: true`, which reads errno inside
// the same native call right after the C function returns. It costs ~1 µs per
// call (ffi-rs formats a message string), and there is no cheaper way that is
// correct: retrying a failed call to learn its errno would swallow a one-shot
// netlink ENOBUFS, and reading errno in a later call can see it overwritten.

import { createRequire } from 'node:module';
import type { ArrayConstructorOptions, DataType, FFITypeTag, load as ffiLoad, open as ffiOpen } from 'ffi-rs';
import { ffiBindingPath, setFfiBindingPath } from './binding-path.js';
import { FfiLoadError, SysError } from './errors.js';

interface Binding {
  load: typeof ffiLoad;
  open: typeof ffiOpen;
}

// ffi-rs's index.js picks its platform package only after a musl check that
// builds a full process.report (~10 ms on every thread that loads it), and its
// load() wrapper re-maps paramsType on every call. Where we can name the
// prebuilt binary (same file index.js would load) we require it directly; on
// any failure we fall back to the documented entry point. If that fails too,
// the error says which package is missing and what to do (FfiLoadError), not
// ffi-rs's "Cannot find module" with its require stack.
function loadBinding(): Binding {
  const given = ffiBindingPath(); // a worker: the file the main thread loaded
  if (given !== undefined) {
    try {
      const module = { exports: {} as Binding };
      process.dlopen(module, given);
      return module.exports;
    } catch {
      // moved or unreadable since: resolve it as the main thread did
    }
  }
  const require = createRequire(import.meta.url);
  let ffiRs: string;
  try {
    ffiRs = require.resolve('ffi-rs');
  } catch (error) {
    throw new FfiLoadError("cannot load ffi-rs: the package is not installed; install vethcon's dependencies (npm install)", { cause: error });
  }
  const requireFromFfiRs = createRequire(ffiRs);
  if (process.platform === 'linux' && (process.arch === 'x64' || process.arch === 'arm64')) {
    for (const libc of ['gnu', 'musl']) {
      try {
        const path = requireFromFfiRs.resolve(`@yuuang/ffi-rs-linux-${process.arch}-${libc}`);
        const loaded = requireFromFfiRs(path) as Binding;
        setFfiBindingPath(path);
        return loaded;
      } catch {
        // not installed, or not this libc: try the next
      }
    }
  }
  try {
    return require('ffi-rs') as Binding;
  } catch (error) {
    throw bindingError(error, requireFromFfiRs);
  }
}

/** ffi-rs's prebuilt binary package for this platform, as its index.js names it; undefined where it publishes none. */
function platformPackage(): string | undefined {
  if (process.platform !== 'linux') return undefined;
  if (process.arch === 'arm') return '@yuuang/ffi-rs-linux-arm-gnueabihf';
  if (process.arch !== 'x64' && process.arch !== 'arm64') return undefined;
  // Only on this error path: building the report takes ~10 ms.
  const header = (process.report?.getReport() as { header?: { glibcVersionRuntime?: string } } | undefined)?.header;
  return `@yuuang/ffi-rs-linux-${process.arch}-${header?.glibcVersionRuntime ? 'gnu' : 'musl'}`;
}

/** Why ffi-rs would not load, and what to do, as one FfiLoadError. */
function bindingError(error: unknown, requireFromFfiRs: NodeJS.Require): FfiLoadError {
  const where = `${process.platform}-${process.arch}`;
  const pkg = platformPackage();
  if (pkg === undefined) {
    return new FfiLoadError(`cannot load ffi-rs: it has no native binary for ${where}, so vethcon cannot run on this platform (it needs Linux on x64, arm64 or arm)`, { cause: error });
  }
  let installed = true;
  try {
    requireFromFfiRs.resolve(pkg);
  } catch {
    installed = false;
  }
  if (!installed) {
    return new FfiLoadError(
      `cannot load ffi-rs: its native binary for ${where}, the package ${pkg}, is not installed. ` +
        'It is an optional dependency of ffi-rs: install without --omit=optional (or --no-optional), e.g. `npm install`; ' +
        "if npm still skips it, ffi-rs does not support this platform",
      { cause: error },
    );
  }
  return new FfiLoadError(`cannot load ffi-rs: its native binary ${pkg} failed to load: ${(error as Error).message}`, { cause: error });
}

const binding = loadBinding();
const LIB = 'libc';
binding.open({ library: LIB, path: '' }); // '' = the running process, which has libc

export type ParamType = DataType | ArrayConstructorOptions;
/** One prebuilt ffi-rs params object per C function; calls only mutate paramsValue. */
export interface Call {
  library: string;
  funcName: string;
  retType: DataType;
  paramsType: ParamType[];
  paramsValue: unknown[];
  errno: boolean;
  freeResultMemory: boolean;
}
interface WithErrno {
  value: number;
  errnoCode: number;
}
// ffi-rs's typings cannot express a reused params object; the shapes above are
// exactly what its load() reads.
export const rawLoad = binding.load as unknown as (call: Call) => unknown;

// ffi-rs DataType numbers (its public enum; local so no runtime import of index.js).
export const STR = 0 as DataType.String;
export const I32 = 1 as DataType.I32;
export const I64 = 8 as DataType.I64;
const U8_ARRAY = 10 as DataType.U8Array;
export const U64 = 12 as DataType.U64;
const ARRAY_TAG = 997 as unknown as FFITypeTag; // FFITypeTag.Array, as arrayConstructor() sets it
export const bytes = (): ArrayConstructorOptions => ({ type: U8_ARRAY, length: 0, ffiTypeTag: ARRAY_TAG });

export function prepare(funcName: string, retType: DataType, paramsType: ParamType[], errno = true): Call {
  return { library: LIB, funcName, retType, paramsType, paramsValue: new Array(paramsType.length), errno, freeResultMemory: false };
}

/** Calls a C function that returns -1 and sets errno on failure: returns the value, or -errno. */
export function invoke(call: Call): number {
  const result = rawLoad(call) as WithErrno;
  if (result.value !== -1) return result.value;
  // errnoCode 0 with -1 has never been seen; keep the answer negative anyway.
  return -(result.errnoCode || 5 /* EIO */);
}

export function check(syscall: string, result: number, detail?: string): number {
  if (result < 0) throw new SysError(syscall, -result, detail);
  return result;
}

