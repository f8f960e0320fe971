// The verbs: ADD, DEL, CHECK and VERSION (CNI spec 1.0), STATUS and GC (1.1).
// Each takes the checked environment and stdin and answers what goes on
// stdout; failures are thrown as CniError. The lab's apply and destroy come
// in as `ops` (src/lab/apply.ts in the plugin, stand-ins in unit tests).
//
//   ADD    bind this pod's node to CNI_NETNS (state.ts), then apply the lab
//          for that node with every pod bound so far: links whose other end
//          is present are made, the rest wait for the peer's own ADD.
//   DEL    drop the binding, then destroy the node's links; a container
//          never seen, or DEL run twice, finds nothing to do and succeeds.
//   CHECK  the lab's apply as a dry run for the node: anything to do is drift.
//   STATUS the configuration and lab are valid and the state folder usable.
//   GC     bindings of containers not in cni.dev/valid-attachments go, with their links.

import { accessSync, constants, existsSync, mkdirSync } from 'node:fs';
import type { Vethcon } from '../api/client.js';
import type { Lab } from '../lab/index.js';
import type { EndpointNs } from '../rules/index.js';
import { DEFAULT_STATE_DIR, SUPPORTED_VERSIONS, decodeStdin, isSupportedVersion, labOf, parseConfig, versionAtLeast, type NetworkConfig } from './config.js';
import type { CniEnv } from './env.js';
import { CniError, CNI_CODE, asCniError } from './errors.js';
import type { LabOps, LinkOutcome } from './lab-ops.js';
import type { Log } from './log.js';
import { matchNode } from './node.js';
import { buildResult, type PodInterface } from './result.js';
import { BindingStore, type Binding } from './state.js';

export interface VerbDeps {
  /** The lab's apply and destroy, loaded only by the verbs that change links. */
  ops: () => Promise<LabOps>;
  client?: Vethcon;
  signal?: AbortSignal;
  /** A log for this configuration (its logFile), made once the configuration is read. */
  openLog: (config: NetworkConfig) => Log;
}

/** What goes on stdout: an object, or nothing (DEL, CHECK, STATUS, GC). */
export type VerbOutput = Record<string, unknown> | undefined;

/** The newest version we speak: for answers before the configuration is read. */
export const LATEST_VERSION = SUPPORTED_VERSIONS[SUPPORTED_VERSIONS.length - 1]!;

/** VERSION: the versions this plugin speaks, answered in the version asked. */
export function versionInfo(stdin: string): VerbOutput {
  let asked: unknown;
  try {
    asked = stdin.trim() === '' ? undefined : (JSON.parse(stdin) as { cniVersion?: unknown })?.cniVersion;
  } catch {
    asked = undefined;
  }
  return { cniVersion: isSupportedVersion(asked) ? asked : LATEST_VERSION, supportedVersions: [...SUPPORTED_VERSIONS] };
}

/** Where the bound pods live, for the lab's apply: each bound node that is a pod node of this lab. */
export function bindingsToBind(lab: Lab, bindings: Binding[]): Record<string, EndpointNs> {
  const bind: Record<string, EndpointNs> = {};
  for (const b of bindings) if (lab.nodes[b.node]?.place.type === 'pod') bind[b.node] = { type: 'path', path: b.netns };
  return bind;
}

/** The node's interfaces among the apply's links: those the lab names and that exist now (not waiting for a peer). */
export function podInterfaces(links: LinkOutcome[], node: string): PodInterface[] {
  const out: PodInterface[] = [];
  for (const l of links) {
    if (l.action !== 'created' && l.action !== 'updated' && l.action !== 'unchanged') continue;
    for (const e of l.ends) if (e.node === node) out.push({ ifname: e.ifname, addresses: e.addresses });
  }
  return out;
}

/** CHECK's verdict: the links a dry run would create, change or remove (not those waiting for a peer pod). */
export function driftOf(links: LinkOutcome[]): LinkOutcome[] {
  return links.filter((l) => l.action === 'created' || l.action === 'updated' || l.action === 'removed');
}

/** Each interface's MAC, as the pod's namespace has it (one dump). */
async function withMacs(client: Vethcon | undefined, sandbox: string, ours: PodInterface[]): Promise<PodInterface[]> {
  if (!client || ours.every((o) => o.mac)) return ours;
  let links;
  try {
    links = await client.links.list({ netns: { path: sandbox } });
  } catch {
    return ours; // a MAC is "if applicable": the links are made, the result goes without it
  }
  const macs = new Map(links.map((l) => [l.ifname, l.address]));
  return ours.map((o) => {
    const mac = o.mac ?? macs.get(o.ifname);
    return mac ? { ...o, mac } : o;
  });
}

function requireVersion(config: NetworkConfig, min: string, verb: string): void {
  if (!versionAtLeast(config.cniVersion, min)) {
    throw new CniError(CNI_CODE.incompatibleVersion, `${verb} needs cniVersion ${min} or later; the configuration says ${config.cniVersion}`);
  }
}

/** Run one verb (not VERSION). The configuration is checked first, so nothing changes on bad input. */
export async function runVerb(env: CniEnv, stdin: string, deps: VerbDeps): Promise<VerbOutput> {
  if (env.command === 'VERSION') return versionInfo(stdin);
  const config = parseConfig(decodeStdin(stdin));
  const lab = labOf(config);
  const log = deps.openLog(config);
  const store = new BindingStore(config.stateDir ?? DEFAULT_STATE_DIR, config.name, lab.name);
  switch (env.command) {
    case 'ADD': return add(env, config, lab, store, log, deps);
    case 'DEL': await del(env, config, lab, store, log, deps); return undefined;
    case 'CHECK': await check(env, config, lab, store, log, deps); return undefined;
    case 'STATUS': status(config, store); return undefined;
    case 'GC': await gc(config, lab, store, log, deps); return undefined;
  }
}

async function add(env: CniEnv, config: NetworkConfig, lab: Lab, store: BindingStore, log: Log, deps: VerbDeps): Promise<VerbOutput> {
  const sandbox = env.netns!;
  const match = matchNode(lab, env.args, config);
  if (!match) {
    log(`container ${env.containerId} is no node of lab ${lab.name}: previous result passed on`);
    return buildResult(config.cniVersion, config.prevResult, sandbox, []);
  }
  const { node } = match;
  const before = store.read(node);
  // Our binding first, then everyone's: of two ADDs at once, the later one sees both.
  store.write({ node, containerId: env.containerId!, netns: sandbox, ifname: env.ifname! });
  const bind = bindingsToBind(lab, store.list());
  const ops = await deps.ops();
  let result;
  try {
    result = await ops.applyLab(lab, { client: deps.client, nodes: [node], bind, host: config.host, partial: true, signal: deps.signal });
  } catch (e) {
    store.restore(node, before);
    log(`ADD ${env.containerId} as node ${node} (${match.by}) failed: ${(e as Error).message}`);
    throw asCniError(e, CNI_CODE.labFailed, `lab ${lab.name}, node ${node}: apply failed`);
  }
  log(`ADD ${env.containerId} as node ${node} (${match.by}) in ${sandbox}: ${result.links.map((l) => `${l.link} ${l.action}`).join(', ') || 'no links'}`);
  return buildResult(config.cniVersion, config.prevResult, sandbox, await withMacs(deps.client, sandbox, podInterfaces(result.links, node)), config.resultAddresses === true);
}

async function del(env: CniEnv, config: NetworkConfig, lab: Lab, store: BindingStore, log: Log, deps: VerbDeps): Promise<void> {
  const containerId = env.containerId!;
  const nodes = new Set(store.ofContainer(containerId).map((b) => b.node));
  const match = matchNode(lab, env.args, config);
  if (match) nodes.add(match.node);
  if (nodes.size === 0) {
    log(`DEL ${containerId}: no node of lab ${lab.name}, nothing to do`);
    return;
  }
  for (const node of nodes) {
    const binding = store.read(node);
    if (binding && binding.containerId !== containerId) {
      log(`DEL ${containerId}: node ${node} is bound to container ${binding.containerId} now; left alone`);
      continue;
    }
    // Where the node's ends are: as bound on ADD, else as this DEL says (an ADD that failed early).
    const netns = binding?.netns ?? env.netns;
    store.remove(node);
    const bind = bindingsToBind(lab, store.list());
    if (netns !== undefined && existsSync(netns)) bind[node] = { type: 'path', path: netns };
    const ops = await deps.ops();
    try {
      const result = await ops.destroyLab(lab, { client: deps.client, nodes: [node], bind, host: config.host });
      log(`DEL ${containerId} as node ${node}: ${result.links.map((l) => `${l.link} ${l.action}`).join(', ') || 'no links'}`);
    } catch (e) {
      // Kept, so that the runtime's next DEL finds the node again.
      if (binding) store.write(binding);
      log(`DEL ${containerId} as node ${node} failed: ${(e as Error).message}`);
      throw asCniError(e, CNI_CODE.labFailed, `lab ${lab.name}, node ${node}: destroy failed`);
    }
  }
}

async function check(env: CniEnv, config: NetworkConfig, lab: Lab, store: BindingStore, log: Log, deps: VerbDeps): Promise<void> {
  requireVersion(config, '0.4.0', 'CHECK');
  const match = matchNode(lab, env.args, config);
  if (!match) return;
  const { node } = match;
  const binding = store.read(node);
  if (!binding || binding.containerId !== env.containerId) {
    throw new CniError(CNI_CODE.drift, `lab ${lab.name}, node ${node}: container ${env.containerId} was never added as this node (no binding in ${store.dir})`);
  }
  const bind = bindingsToBind(lab, store.list());
  bind[node] = { type: 'path', path: env.netns! };
  const ops = await deps.ops();
  let result;
  try {
    result = await ops.applyLab(lab, { client: deps.client, nodes: [node], bind, host: config.host, partial: true, dryRun: true, signal: deps.signal });
  } catch (e) {
    throw asCniError(e, CNI_CODE.labFailed, `lab ${lab.name}, node ${node}: check failed`);
  }
  const drift = driftOf(result.links);
  if (drift.length || result.changed) {
    const what = drift.map((l) => `${l.link}: ${l.action}${l.changes.length ? ` (${l.changes.join('; ')})` : ''}`);
    log(`CHECK ${env.containerId} as node ${node}: drift: ${what.join(', ') || result.notes.join('; ')}`);
    throw new CniError(CNI_CODE.drift, `lab ${lab.name}, node ${node}: the links differ from the lab`, (what.length ? what : result.notes).join('\n'));
  }
  log(`CHECK ${env.containerId} as node ${node}: as the lab says`);
}

function status(config: NetworkConfig, store: BindingStore): void {
  requireVersion(config, '1.1.0', 'STATUS');
  try {
    mkdirSync(store.dir, { recursive: true, mode: 0o700 });
    accessSync(store.dir, constants.W_OK);
  } catch (e) {
    throw new CniError(CNI_CODE.notAvailable, `the state folder ${store.dir} cannot be used: ${(e as Error).message}`);
  }
}

async function gc(config: NetworkConfig, lab: Lab, store: BindingStore, log: Log, deps: VerbDeps): Promise<void> {
  requireVersion(config, '1.1.0', 'GC');
  const valid = config['cni.dev/valid-attachments'];
  if (!valid) throw new CniError(CNI_CODE.invalidConfig, 'GC needs cni.dev/valid-attachments in the network configuration');
  const keep = new Set(valid.map((a) => a.containerID));
  const stale = store.list().filter((b) => !keep.has(b.containerId));
  const failed: string[] = [];
  for (const b of stale) {
    store.remove(b.node);
    const bind = bindingsToBind(lab, store.list());
    if (existsSync(b.netns)) bind[b.node] = { type: 'path', path: b.netns };
    try {
      const ops = await deps.ops();
      const result = await ops.destroyLab(lab, { client: deps.client, nodes: [b.node], bind, host: config.host });
      log(`GC: container ${b.containerId} (node ${b.node}) is gone: ${result.links.map((l) => `${l.link} ${l.action}`).join(', ') || 'no links'}`);
    } catch (e) {
      store.write(b);
      failed.push(`node ${b.node} (container ${b.containerId}): ${(e as Error).message}`);
    }
  }
  if (failed.length) throw new CniError(CNI_CODE.labFailed, `lab ${lab.name}: GC could not remove every stale node's links`, failed.join('\n'));
}
