// disconnect(): delete one end of a link (a veth takes its peer with it);
// disconnectAll(): several, every one checked before the first is deleted.

import { Vethcon } from '../api/client.js';
import { NetlinkError } from '../netlink/kernel-error.js';
import { check, endpointNs, ifname as ifnameRule, type EndpointNs } from '../rules/index.js';
import type { Netns } from '../api/netns.js';
import { releaseEndpoint, resolveEndpoint, type ResolvedEndpoint } from './endpoint.js';
import { NotFoundError, reasonOf, stoppedBeforeAnyChange } from './errors.js';
import { deleteLink } from '../netlink/route/link-requests.js';
import type { PlanStep } from './plan.js';

type End = { ns: EndpointNs; ifname: string };

/** The input rules, once per end (`what`: how messages name it). */
function checkEnd(nsIn: EndpointNs, name: string, what: string): End {
  return { ns: check(endpointNs, nsIn, what ? `${what} endpoint` : 'endpoint'), ifname: check(ifnameRule, name, what || 'link') };
}

/**
 * The end's namespace handle, once the link is known to be there
 * (NotFoundError otherwise). Its namespace is pinned until `pins` are released.
 */
async function find(vc: Vethcon, end: End, pins: ResolvedEndpoint[]): Promise<{ label: string; handle: Netns }> {
  const e = await resolveEndpoint(end.ns);
  pins.push(e);
  const handle = await vc.netns(e.target);
  await notFoundAsSuch(handle.getLink(end.ifname), end.ifname, e.label);
  return { label: e.label, handle };
}

async function notFoundAsSuch<T>(work: Promise<T>, ifname: string, label: string): Promise<T> {
  try {
    return await work;
  } catch (err) {
    if (err instanceof NetlinkError && err.code === 'ENODEV') throw new NotFoundError(`there is no link named ${ifname} in ${label}`);
    throw err;
  }
}

/** Like koko's `-D container,link`: delete one end (the peer goes with it). */
export async function disconnect(nsIn: EndpointNs, name: string, opts: { client?: Vethcon } = {}): Promise<Deleted> {
  const end = checkEnd(nsIn, name, '');
  const vc = opts.client ?? new Vethcon();
  const pins: ResolvedEndpoint[] = [];
  try {
    const { label, handle } = await find(vc, end, pins);
    await notFoundAsSuch(handle.deleteLink(end.ifname), end.ifname, label);
    return { endpoint: label, ifname: end.ifname };
  } finally {
    pins.forEach(releaseEndpoint);
    if (!opts.client) await vc.close();
  }
}

export interface Deleted {
  endpoint: string;
  ifname: string;
  /** Set when the link was already gone with its peer, deleted earlier in the same call. */
  note?: string;
}

/**
 * What disconnectAll(ends) would send, after the checks it makes before its
 * first deletion (every namespace there, every link there: NotFoundError
 * otherwise). Deletes nothing.
 */
export async function checkDisconnectAll(ends: { ns: EndpointNs; ifname: string }[], opts: { client?: Vethcon } = {}): Promise<PlanStep[]> {
  const checked = ends.map((e, i) => checkEnd(e.ns, e.ifname, ends.length > 1 ? `link ${i + 1}` : ''));
  const client = opts.client ?? new Vethcon();
  const pins: ResolvedEndpoint[] = [];
  try {
    const steps: PlanStep[] = [];
    for (const end of checked) {
      const { label } = await find(client, end, pins);
      steps.push({ netns: label, action: `delete ${end.ifname} (a veth's peer goes with it)`, request: deleteLink({ ifname: end.ifname }) });
    }
    return steps;
  } finally {
    pins.forEach(releaseEndpoint);
    if (!opts.client) await client.close();
  }
}

/** A failure after some links were deleted: `deleted` says which. */
export class DeleteError extends Error {
  override name = 'DeleteError';
  constructor(message: string, readonly deleted: Deleted[]) {
    super(`${message}; already deleted: ${deleted.map((d) => `${d.ifname} in ${d.endpoint}`).join(', ')}`);
  }
}

/**
 * Back to the event loop between two steps. Every await of a step resolves
 * as a microtask (rtnetlink answers inside our send), so without this a
 * signal's handler (a macrotask) would only run once all steps were done.
 */
const nextStep = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/**
 * Like koko's `-D c1,eth1 -N red,v0 ...`: every link is checked first, so a
 * typo in the last one changes nothing (NotFoundError); then each is deleted
 * in turn. An aborted `signal` stops it at the next step: while checking,
 * with nothing done (InterruptedError); while deleting, with a DeleteError
 * that names what was deleted (deletions are not undone).
 */
export async function disconnectAll(ends: { ns: EndpointNs; ifname: string }[], opts: { client?: Vethcon; signal?: AbortSignal } = {}): Promise<Deleted[]> {
  const checked = ends.map((e, i) => checkEnd(e.ns, e.ifname, ends.length > 1 ? `link ${i + 1}` : ''));
  const client = opts.client ?? new Vethcon();
  const done: Deleted[] = [];
  const stopIfAborted = async (): Promise<void> => {
    await nextStep();
    const signal = opts.signal;
    if (!signal?.aborted) return;
    if (!done.length) throw stoppedBeforeAnyChange(signal);
    throw new DeleteError(`${reasonOf(signal)}: stopped after it deleted ${done.length} of ${checked.length} links; deletions are not undone`, done);
  };
  const pins: ResolvedEndpoint[] = [];
  try {
    const found = [];
    for (const end of checked) {
      await stopIfAborted();
      found.push(await find(client, end, pins));
    }
    for (const [i, end] of checked.entries()) {
      await stopIfAborted();
      const { label, handle } = found[i];
      try {
        await notFoundAsSuch(handle.deleteLink(end.ifname), end.ifname, label);
        done.push({ endpoint: label, ifname: end.ifname });
      } catch (err) {
        // Deleting one end of a veth takes its peer: `-D c1,eth1 -D c2,eth1` is fine.
        if (err instanceof NotFoundError && done.length) {
          done.push({ endpoint: label, ifname: end.ifname, note: 'already gone (deleted with its peer)' });
          continue;
        }
        if (!done.length) throw err;
        throw new DeleteError((err as Error).message, done);
      }
    }
    return done;
  } finally {
    pins.forEach(releaseEndpoint);
    if (!opts.client) await client.close();
  }
}
