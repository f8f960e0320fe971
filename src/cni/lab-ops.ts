// What the plugin needs of src/lab: apply and destroy a lab for some of its
// nodes, with pods bound to the namespaces their runtime made. The types are
// src/lab/apply.ts's contract, written here until that module is merged;
// the verbs (verbs.ts) take the functions as arguments, so unit tests can
// hand in their own.

import type { Vethcon } from '../api/client.js';
import type { EndpointNs } from '../rules/index.js';
import type { Lab } from '../lab/index.js';

export interface ApplyOptions {
  client?: Vethcon;
  dryRun?: boolean;
  prune?: boolean;
  /** Only links with an end in these nodes. */
  nodes?: string[];
  /** Where nodes live for this run: a pod node's namespace file. */
  bind?: Record<string, EndpointNs>;
  /** Links with an end in an absent node are left 'waiting' instead of failing. */
  partial?: boolean;
  host?: string;
  signal?: AbortSignal;
}

export interface LinkOutcome {
  index?: number;
  key?: string;
  link: string;
  action: 'created' | 'updated' | 'unchanged' | 'removed' | 'waiting' | 'kept';
  changes: string[];
  ends: { node: string; endpoint: string; ifname: string; ifindex?: number; mac?: string; addresses: string[] }[];
}

export interface ApplyResult {
  lab: string;
  dryRun: boolean;
  changed: boolean;
  links: LinkOutcome[];
  notes: string[];
}

export interface DestroyOptions {
  client?: Vethcon;
  nodes?: string[];
  bind?: Record<string, EndpointNs>;
  host?: string;
  dryRun?: boolean;
}

export interface LabOps {
  /** All-or-nothing, serialised per lab on the machine. */
  applyLab(lab: Lab, opts?: ApplyOptions): Promise<ApplyResult>;
  /** Removes only the lab's links (with nodes: those with an end there); absent nodes are not an error. */
  destroyLab(lab: Lab, opts?: DestroyOptions): Promise<ApplyResult>;
}

/** The real apply and destroy (src/lab/apply.ts). */
export async function labOps(): Promise<LabOps> {
  throw new Error('src/lab/apply.ts is not merged into this branch yet');
}
