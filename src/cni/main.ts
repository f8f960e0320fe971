// The vethcon-cni process: read the environment and stdin, run the verb,
// print the result (or the CNI error object) on stdout and exit. For a verb
// that touches namespaces the namespace worker is started first of all, as
// the vethcon command does (src/cli/start.ts): it boots while the rest loads.

import { readFileSync, writeSync } from 'node:fs';
import { isAbsolute } from 'node:path';
import { prestartWorker } from '../ns/spawn.js';
import type { Vethcon } from '../api/client.js';
import { isSupportedVersion } from './config.js';
import { readEnv, type CniEnv } from './env.js';
import { CNI_CODE, CniError, asCniError, exitStatusOf } from './errors.js';
import { labOps } from './lab-ops.js';
import { openLog } from './log.js';
import { LATEST_VERSION, runVerb, type VerbOutput } from './verbs.js';

/** stdin, whole (code 5 if it cannot be read). */
function readStdin(): string {
  try {
    return readFileSync(0, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EAGAIN' || (e as NodeJS.ErrnoException).code === 'ENXIO') return '';
    throw new CniError(CNI_CODE.ioFailure, `cannot read the network configuration from stdin: ${(e as Error).message}`);
  }
}

/** The configuration's cniVersion and logFile as far as they can be read, for reporting an error in it. */
function loosely(stdin: string): { cniVersion: string; logFile?: string } {
  try {
    const v = JSON.parse(stdin) as { cniVersion?: unknown; logFile?: unknown };
    return {
      cniVersion: isSupportedVersion(v?.cniVersion) ? v.cniVersion : LATEST_VERSION,
      ...(typeof v?.logFile === 'string' && isAbsolute(v.logFile) ? { logFile: v.logFile } : {}),
    };
  } catch {
    return { cniVersion: LATEST_VERSION };
  }
}

function print(value: unknown): void {
  const text = `${JSON.stringify(value)}\n`;
  const bytes = Buffer.from(text);
  for (let at = 0; at < bytes.length;) at += writeSync(1, bytes, at);
}

/** Run the plugin as the runtime started it, and exit. */
export async function runPlugin(processEnv: NodeJS.ProcessEnv = process.env): Promise<never> {
  const abort = new AbortController();
  for (const sig of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) process.once(sig, () => abort.abort(new Error(`stopped by ${sig}`)));
  let stdin = '';
  let env: CniEnv | undefined;
  let namespaces = false;
  let exitCode = 0;
  try {
    stdin = readStdin();
    env = readEnv(processEnv);
    namespaces = env.command === 'ADD' || env.command === 'DEL' || env.command === 'CHECK' || env.command === 'GC';
    let client: Vethcon | undefined;
    if (namespaces) {
      prestartWorker();
      const ns = await import('../ns/index.js');
      const threads = new ns.NamespaceThreads();
      threads.prestart();
      const { Vethcon } = await import('../api/client.js');
      client = new Vethcon({ threads });
    }
    const out: VerbOutput = await runVerb(env, stdin, {
      ops: labOps,
      client,
      signal: abort.signal,
      openLog: (config) => openLog(config.logFile, () => `${config.name} ${env!.command} ${env!.containerId ?? ''}`.trimEnd()),
    });
    if (out !== undefined) print(out);
  } catch (e) {
    const error = asCniError(e, CNI_CODE.internal, 'vethcon-cni');
    const { cniVersion, logFile } = loosely(stdin);
    openLog(logFile, () => `${env?.command ?? 'no CNI_COMMAND'} ${env?.containerId ?? ''}`.trimEnd())(`error ${error.code}: ${error.message}${error.details ? ` (${error.details})` : ''}`);
    print(error.toJSON(cniVersion));
    exitCode = exitStatusOf(error.code);
  }
  if (namespaces) (await import('../ns/index.js')).exitNow(exitCode);
  process.exit(exitCode);
}
