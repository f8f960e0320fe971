// A process's identity beyond its pid: the pid, its start time (field 22 of
// /proc/PID/stat, clock ticks since boot) and its PID namespace, so a pid
// reused by another process is not taken for the one that is gone.

import { readFileSync, statSync } from 'node:fs';

export interface ProcessIdentity {
  pid: number;
  /** Start time, in clock ticks after boot. */
  start: number;
  /** Inode of the process's PID namespace (where `pid` means it). */
  pidns: number;
}

/** Field 22 (starttime) of /proc/PID/stat, and whether it is a zombie; undefined if there is no such process. */
function stat(pid: number): { start: number; zombie: boolean } | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // The command name (field 2) may hold spaces and parentheses: count from the last ')'.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  return { start: Number(fields[19]), zombie: fields[0] === 'Z' };
}

const ownPidns = (): number => statSync('/proc/self/ns/pid').ino;

/** This process. */
export function selfProcess(): ProcessIdentity {
  return { pid: process.pid, start: stat(process.pid)?.start ?? 0, pidns: ownPidns() };
}

/**
 * Is that process still running? 'unknown' when it lived in another PID
 * namespace than ours, where its pid means nothing here.
 */
export function processState(p: ProcessIdentity): 'running' | 'gone' | 'unknown' {
  if (p.pidns !== ownPidns()) return 'unknown';
  const now = stat(p.pid);
  return now && !now.zombie && now.start === p.start ? 'running' : 'gone';
}
