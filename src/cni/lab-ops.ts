// What the plugin needs of src/lab: apply and destroy a lab for some of its
// nodes, with pods bound to the namespaces their runtime made. The verbs
// (verbs.ts) take these as an argument, so unit tests can hand in doubles.

import type { Lab } from '../lab/index.js';
import type { ApplyOptions, ApplyResult, LinkOutcome } from '../lab/apply.js';

export type { ApplyOptions, ApplyResult, LinkOutcome };
export type DestroyOptions = Omit<ApplyOptions, 'prune' | 'partial'>;

export interface LabOps {
  /** All-or-nothing, serialised per lab on the machine. */
  applyLab(lab: Lab, opts?: ApplyOptions): Promise<ApplyResult>;
  /** Removes only the lab's links (with nodes: those with an end there); absent nodes are not an error. */
  destroyLab(lab: Lab, opts?: DestroyOptions): Promise<ApplyResult>;
}

/** The real apply and destroy (src/lab/apply.ts), loaded when a verb needs them. */
export async function labOps(): Promise<LabOps> {
  const { applyLab, destroyLab } = await import('../lab/apply.js');
  return { applyLab, destroyLab };
}
