// The CNI_* environment variables, checked per verb (CNI spec 1.0,
// "Parameters"; 1.1 adds STATUS and GC, which take none of the container's).
// A missing or malformed one is code 4, naming the variable.

import { isAbsolute } from 'node:path';
import { CniError, CNI_CODE } from './errors.js';

export const VERBS = ['ADD', 'DEL', 'CHECK', 'VERSION', 'STATUS', 'GC'] as const;
export type Verb = (typeof VERBS)[number];

export interface CniEnv {
  command: Verb;
  containerId?: string;
  /** The container's network namespace file; may be empty on DEL. */
  netns?: string;
  ifname?: string;
  /** CNI_ARGS as pairs: K8S_POD_NAME, VETHCON_NODE, ... */
  args: Record<string, string>;
  path: string[];
}

// The spec's rule for a container id.
const CONTAINER_ID = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;

/** "K=V;K2=V2" as pairs; a part without "=" is refused. */
export function parseCniArgs(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of text.split(';')) {
    if (part === '') continue;
    const at = part.indexOf('=');
    if (at <= 0) throw new CniError(CNI_CODE.invalidEnv, `CNI_ARGS: ${JSON.stringify(part)} is not KEY=VALUE`);
    out[part.slice(0, at)] = part.slice(at + 1);
  }
  return out;
}

/** The environment a verb needs, checked: code 4 names each variable that is missing or malformed. */
export function readEnv(env: NodeJS.ProcessEnv): CniEnv {
  const command = env.CNI_COMMAND;
  if (!command) throw new CniError(CNI_CODE.invalidEnv, 'CNI_COMMAND is not set');
  if (!(VERBS as readonly string[]).includes(command)) throw new CniError(CNI_CODE.invalidEnv, `CNI_COMMAND ${JSON.stringify(command)} is not one of ${VERBS.join(', ')}`);
  const verb = command as Verb;
  const problems: string[] = [];
  const containerVerb = verb === 'ADD' || verb === 'DEL' || verb === 'CHECK';
  const containerId = env.CNI_CONTAINERID || undefined;
  if (containerVerb) {
    if (containerId === undefined) problems.push('CNI_CONTAINERID is not set');
    else if (!CONTAINER_ID.test(containerId)) problems.push(`CNI_CONTAINERID ${JSON.stringify(containerId)} is not a container id (a letter or digit, then letters, digits, _ . -)`);
  }
  const netns = env.CNI_NETNS || undefined;
  if (verb === 'ADD' || verb === 'CHECK') {
    if (netns === undefined) problems.push('CNI_NETNS is not set');
  }
  if (netns !== undefined && containerVerb && !isAbsolute(netns)) problems.push(`CNI_NETNS ${JSON.stringify(netns)} is not an absolute path`);
  const ifname = env.CNI_IFNAME || undefined;
  if ((verb === 'ADD' || verb === 'CHECK') && ifname === undefined) problems.push('CNI_IFNAME is not set');
  if (problems.length) throw new CniError(CNI_CODE.invalidEnv, problems.join('; '));
  const args = parseCniArgs(env.CNI_ARGS ?? '');
  return {
    command: verb,
    ...(containerId !== undefined ? { containerId } : {}),
    ...(netns !== undefined ? { netns } : {}),
    ...(ifname !== undefined ? { ifname } : {}),
    args,
    path: (env.CNI_PATH ?? '').split(':').filter(Boolean),
  };
}
