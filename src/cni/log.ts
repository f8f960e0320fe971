// The plugin's log: lines appended to the file the configuration names
// (logFile), never stdout, which carries only the result or the CNI error.
// A log that cannot be written is dropped silently: logging must not fail a
// pod's network.

import { appendFileSync } from 'node:fs';

export type Log = (line: string) => void;

/** A log into `file`, or none; each line stamped with the time, the process and what is being done. */
export function openLog(file: string | undefined, context: () => string): Log {
  if (!file) return () => {};
  return (line) => {
    try {
      appendFileSync(file, `${new Date().toISOString()} vethcon-cni[${process.pid}] ${context()}: ${line.replace(/\n/g, '\n    ')}\n`, { mode: 0o640 });
    } catch {
      // nowhere to say it
    }
  };
}
