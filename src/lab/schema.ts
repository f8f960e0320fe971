// The lab file: a whole topology in one JSON document. Its nodes name
// namespaces (a container, a named netns, a PID, a namespace file, the
// current namespace, or a pod a container runtime provides), its links join
// them. Written with zod 4 (the 'zod/v4' entry of the zod package) for its
// JSON Schema export (labJsonSchema); the rules themselves are the plain
// functions of src/rules, so a lab refuses exactly what a command refuses.
// Errors name the JSON path: `links[3].endpoints[0]: node "r9" is not in nodes`.

import { z } from 'zod/v4';
import { cidrProblem, ifaddrProblem, ifnameProblem, netnsNameProblem, pathProblem, quote } from '../rules/index.js';

/** A rule from src/rules as a zod refinement. */
const rule = (problem: (s: string) => string | undefined, what: string) => (s: string, ctx: z.RefinementCtx): void => {
  const why = problem(s);
  if (why) ctx.addIssue({ code: 'custom', message: `${what} ${quote(s)} ${why}` });
};

const NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/;
const nameText = 'letters, digits, _ . and -, starting with a letter or digit, at most 63 characters';

export const labName = z.string().regex(NAME, `a lab name is ${nameText}`).describe('The lab\'s name: it is written into the mark of every link the lab makes.');
const nodeName = z.string().regex(NAME, `a node name is ${nameText}`);
const ifname = z.string().superRefine(rule(ifnameProblem, 'interface name')).describe('An interface name, as `ip link` takes it (at most 15 bytes).');
const address = z.string().superRefine(rule(ifaddrProblem, 'address')).describe('An address with its prefix length: 10.0.0.1/30 or 2001:db8::1/64.');
const mtu = z.int().min(68).max(65535).describe('MTU in bytes, 68 to 65535.');
const mac = z.string().regex(/^[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){5}$/, 'a MAC is six colon-separated hex bytes, like 02:00:00:00:00:01')
  .refine((s) => (parseInt(s.slice(0, 2), 16) & 1) === 0, 'a link needs a unicast MAC (first byte even)');
const hostName = z.string().regex(NAME, `a host name is ${nameText}`);

const where = { host: hostName.optional().describe('The host this node lives on (multi-host labs); this host by default.') };
export const labNode = z.union([
  z.strictObject({ container: z.string().min(1).describe('A running Docker container, by name or id.'), ...where }),
  z.strictObject({ netns: z.string().superRefine((s, ctx) => { const why = netnsNameProblem(s); if (why) ctx.addIssue({ code: 'custom', message: `namespace name ${quote(s)} is not valid: ${why}` }); }).describe('A named network namespace (`ip netns`).'), ...where }),
  z.strictObject({ pid: z.int().positive().describe('The network namespace of a running process.'), ...where }),
  z.strictObject({ path: z.string().superRefine((s, ctx) => { const why = pathProblem(s) ?? (s.startsWith('/') ? undefined : 'must be absolute'); if (why) ctx.addIssue({ code: 'custom', message: `namespace path ${quote(s)} ${why}` }); }).describe('A namespace file, like /proc/PID/ns/net or a bind mount of one.'), ...where }),
  z.strictObject({ current: z.literal(true).describe('The namespace vethcon runs in (the host).'), ...where }),
  z.strictObject({ pod: z.string().min(1).describe('A pod a container runtime provides through the CNI plugin (matched by K8S_POD_NAME).'), ...where }),
]).describe('Where a node lives: exactly one of container, netns, pid, path, current or pod.');

/** "node:ifname" or "node:ifname:10.0.0.1/30[,2001:db8::1/64...]", as the command line writes an end. */
const endText = z.string().describe('node:ifname[:address[,address...]], like r1:eth1:10.0.0.1/30');
const endObject = z.strictObject({
  node: nodeName,
  ifname,
  addresses: z.array(address).optional(),
  mtu: mtu.optional(),
  mac: mac.optional(),
}).describe('One end of a link, with its own settings.');
export const labEnd = z.union([endText, endObject]);

const vxlan = z.strictObject({
  vni: z.int().min(0).max(0xffffff).describe('The VXLAN network identifier.'),
  remote: z.string().superRefine(rule((s) => cidrProblem(`${s}/${s.includes(':') ? 128 : 32}`), 'remote address')).describe('The far tunnel end\'s address.'),
  parent: ifname.describe('The underlay device, in the namespace vethcon runs in.'),
  port: z.int().min(1).max(65535).optional().describe('UDP destination port; 4789 by default.'),
});
const macvlan = z.strictObject({
  parent: ifname.describe('The parent device, in the namespace vethcon runs in.'),
  mode: z.enum(['private', 'vepa', 'bridge', 'passthru', 'source']).optional().describe('bridge by default.'),
});
const vlan = z.strictObject({
  parent: ifname.describe('The parent device, in the namespace vethcon runs in.'),
  id: z.int().min(0).max(4094).describe('The VLAN id.'),
});

export const labLink = z.strictObject({
  endpoints: z.array(labEnd).min(1).max(2).describe('Two ends for a veth pair; one end for a vxlan, macvlan or vlan link.'),
  mtu: mtu.optional().describe('Both ends\' MTU, unless an end sets its own.'),
  vni: z.int().min(1).max(0xffffff).optional().describe('Multi-host labs: the VXLAN id of a link between two hosts (derived from the lab and the link by default).'),
  port: z.int().min(1).max(65535).optional().describe('Multi-host labs: the UDP port of a link between two hosts (defaults.vxlanPort, else 4789).'),
  vxlan: vxlan.optional(),
  macvlan: macvlan.optional(),
  vlan: vlan.optional(),
}).describe('A link: a veth pair between two nodes, or a vxlan, macvlan or vlan end in one node.');

export const labFile = z.strictObject({
  $schema: z.string().optional(),
  name: labName,
  nodes: z.record(nodeName, labNode).describe('The lab\'s namespaces, by node name.'),
  links: z.array(labLink).describe('The links between the nodes.'),
  defaults: z.strictObject({
    mtu: mtu.optional(),
    vxlanPort: z.int().min(1).max(65535).optional().describe('Multi-host labs: the UDP port of links between hosts (4789 by default).'),
  }).optional().describe('Settings every link takes unless it sets its own.'),
  hosts: z.record(hostName, z.strictObject({
    underlay: z.string().superRefine(rule((s) => cidrProblem(`${s}/${s.includes(':') ? 128 : 32}`), 'underlay address')).describe('The host\'s address on the underlay network.'),
  })).optional().describe('Hosts of a lab that spans several machines.'),
}).describe('A vethcon lab: namespaces and the links between them.');

export type LabFileInput = z.input<typeof labFile>;

/** The lab file's JSON Schema (draft 2020-12), for editors. */
export function labJsonSchema(): Record<string, unknown> {
  return z.toJSONSchema(labFile, { unrepresentable: 'any' }) as Record<string, unknown>;
}
