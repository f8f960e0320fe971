// Which lab node a container is. In order:
//   1. CNI_ARGS VETHCON_NODE=NAME, config args.cni.labNode, or
//      runtimeConfig.labNode (capability "labNode"): the node, by name;
//   2. K8S_POD_NAME (with K8S_POD_NAMESPACE) in CNI_ARGS: the node written
//      {"pod": "NAMESPACE/NAME"} or {"pod": "NAME"}.
// A container that matches no node is not in the lab: the plugin passes the
// previous result on and does nothing else. A node named but not a pod node
// of the lab is an error: a typo must not silently leave a pod unwired.

import type { Lab } from '../lab/index.js';
import { CniError, CNI_CODE } from './errors.js';
import type { NetworkConfig } from './config.js';

export interface NodeMatch {
  node: string;
  /** How it was matched, for the log. */
  by: string;
}

/** The node named explicitly, if any, and where. */
function named(args: Record<string, string>, config: NetworkConfig): { name: string; by: string } | undefined {
  if (args.VETHCON_NODE) return { name: args.VETHCON_NODE, by: 'CNI_ARGS VETHCON_NODE' };
  if (config.runtimeConfig?.labNode) return { name: config.runtimeConfig.labNode, by: 'runtimeConfig.labNode' };
  if (config.args?.cni?.labNode) return { name: config.args.cni.labNode, by: 'args.cni.labNode' };
  return undefined;
}

/** The pod node this container is, or undefined if it is none of the lab's. */
export function matchNode(lab: Lab, args: Record<string, string>, config: NetworkConfig): NodeMatch | undefined {
  const explicit = named(args, config);
  if (explicit) {
    const node = lab.nodes[explicit.name];
    const code = explicit.by.startsWith('CNI_ARGS') ? CNI_CODE.invalidEnv : CNI_CODE.invalidConfig;
    if (!node) throw new CniError(code, `${explicit.by}: lab ${lab.name} has no node ${JSON.stringify(explicit.name)}`);
    if (node.place.type !== 'pod') throw new CniError(code, `${explicit.by}: node ${explicit.name} of lab ${lab.name} is not a pod node ({"pod": ...}); the plugin binds only pods`);
    return { node: explicit.name, by: explicit.by };
  }
  const pod = args.K8S_POD_NAME;
  if (!pod) return undefined;
  const space = args.K8S_POD_NAMESPACE;
  const wanted = new Set([pod, ...(space ? [`${space}/${pod}`] : [])]);
  const found = Object.values(lab.nodes).filter((n) => n.place.type === 'pod' && wanted.has(n.place.pod));
  if (found.length > 1) {
    throw new CniError(CNI_CODE.invalidConfig, `lab ${lab.name}: pod ${space ? `${space}/` : ''}${pod} is nodes ${found.map((n) => n.name).join(' and ')}; a pod may be one node only`);
  }
  return found[0] && { node: found[0].name, by: `K8S_POD_NAME ${pod}` };
}
