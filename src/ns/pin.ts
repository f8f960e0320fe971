// Pinning: a namespace resolved ONCE to an open file. The file names that
// one namespace, and keeps it alive, however its name, path or process
// changes afterwards; everything after validation goes through it. The
// reference it came from is only looked at again to check that it still
// leads to the same namespace.

import { closeSync, fstatSync, openSync } from 'node:fs';
import { NetnsError, resolveNetns, type NetnsRef } from './handle.js';

export interface PinnedNetns {
  /** Open on the namespace's file (O_RDONLY|O_CLOEXEC); the process's, usable from any thread. */
  readonly fd: number;
  readonly dev: number;
  readonly ino: number;
  readonly label: string;
  /** The reference it was pinned from. */
  readonly ref: NetnsRef;
  /** As a reference the library takes: the open file, with this label. */
  readonly target: { fd: number; label: string };
}

const pins = new Set<PinnedNetns>();

/** Resolve `ref` and hold its namespace open; NetnsError (ENONETNS, ...) as resolveNetns. */
export function pinNetns(ref: NetnsRef, label?: string): PinnedNetns {
  const seen = resolveNetns(ref);
  const name = label ?? seen.label;
  let fd: number;
  try {
    fd = openSync(seen.path, 'r');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ESRCH') throw new NetnsError('ENONETNS', `${name}: gone since it was resolved`, { cause: error });
    throw new NetnsError('ESYSCALL', `${name}: cannot open ${seen.path}: ${(error as Error).message}`, { cause: error, errnoCode: code });
  }
  // Who we hold is what counts, not what the name said a moment before the open.
  const st = fstatSync(fd);
  if (st.dev !== seen.dev) {
    closeSync(fd);
    throw new NetnsError('ENONETNS', `${name}: ${seen.path} is not a namespace file any more`);
  }
  const pin: PinnedNetns = { fd, dev: st.dev, ino: st.ino, label: name, ref, target: { fd, label: name } };
  pins.add(pin);
  return pin;
}

/** Why `pin.ref` no longer leads to the pinned namespace, or undefined if it still does. */
export function pinDrift(pin: PinnedNetns): string | undefined {
  let now;
  try {
    now = resolveNetns(pin.ref);
  } catch (error) {
    return error instanceof NetnsError && error.code === 'ENONETNS' ? 'not found any more' : `not checkable (${(error as Error).message})`;
  }
  return now.dev === pin.dev && now.ino === pin.ino ? undefined : 'another namespace now';
}

/** Close the pin (once); the namespace may go away after this. */
export function unpin(pin: PinnedNetns | undefined): void {
  if (!pin || !pins.delete(pin)) return;
  closeSync(pin.fd);
}

export const samePin = (a: PinnedNetns, b: PinnedNetns): boolean => a.dev === b.dev && a.ino === b.ino;
