// The input rules as zod schemas: interface names, CIDRs, MACs, MTUs,
// namespace names, endpoints. Each rule's message names what broke it.

import { z } from 'zod';
import { cidrProblem, ifnameProblem, netnsNameProblem } from './problems.js';

/** Like the kernel's dev_valid_name(): 1..15 bytes, not . or .., no '/', ':' or white space. */
export const ifname = z.string().superRefine((s, ctx) => {
  const why = ifnameProblem(s);
  if (why) ctx.addIssue({ code: 'custom', message: `interface name ${JSON.stringify(s)} ${why}` });
});

/** An address with its prefix length: 10.10.1.2/24 or 2001:db8::1/64. */
export const cidr = z.string().superRefine((s, ctx) => {
  const why = cidrProblem(s);
  if (why) ctx.addIssue({ code: 'custom', message: `address ${JSON.stringify(s)} ${why}` });
});

/** A unicast Ethernet address, as `ip link set address` takes it. */
export const mac = z.string().superRefine((s, ctx) => {
  if (!/^[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){5}$/.test(s)) ctx.addIssue({ code: 'custom', message: `MAC ${JSON.stringify(s)} is not six colon-separated hex bytes, like 02:00:00:00:00:01` });
  else if (parseInt(s.slice(0, 2), 16) & 1) ctx.addIssue({ code: 'custom', message: `MAC ${s} is a multicast address; a link needs a unicast one (first byte even)` });
});

/** veth takes 68 (the IPv4 minimum) to 65535. The message names the bad value. */
export const mtu = z.number().superRefine((n, ctx) => {
  if (!Number.isInteger(n)) ctx.addIssue({ code: 'custom', message: `MTU ${n} is not a whole number` });
  else if (n < 68) ctx.addIssue({ code: 'custom', message: `MTU ${n} is too small: it must be at least 68` });
  else if (n > 65535) ctx.addIssue({ code: 'custom', message: `MTU ${n} is too big: it must be at most 65535` });
});

/** Like iproute2's netns names: non-empty, no '/', not . or .., at most 255 bytes. */
export const netnsName = z.string().superRefine((s, ctx) => {
  const why = netnsNameProblem(s);
  if (why) ctx.addIssue({ code: 'custom', message: `namespace name ${JSON.stringify(s)} is not valid: ${why}` });
});

export const containerName = z.string().superRefine((s, ctx) => {
  if (s === '') ctx.addIssue({ code: 'custom', message: 'container name is empty' });
  else if (!/^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/.test(s)) ctx.addIssue({ code: 'custom', message: `container name or id ${JSON.stringify(s)} is not valid: it may hold only letters, digits, _ . and - (and start with a letter or digit)` });
});

export const pid = z.number().superRefine((n, ctx) => {
  if (!Number.isSafeInteger(n) || n <= 0) ctx.addIssue({ code: 'custom', message: `PID ${n} is not a process id (a positive integer)` });
});

/** Where one end lives. */
export const endpointNs = z.discriminatedUnion('type', [
  z.object({ type: z.literal('docker'), container: containerName }),
  z.object({ type: z.literal('netns'), name: netnsName }),
  z.object({ type: z.literal('pid'), pid }),
  z.object({ type: z.literal('path'), path: z.string().superRefine((s, ctx) => {
    if (!s.startsWith('/')) ctx.addIssue({ code: 'custom', message: `namespace path ${JSON.stringify(s)} must be absolute` });
  }) }),
  z.object({ type: z.literal('current') }),
]);
export type EndpointNs = z.infer<typeof endpointNs>;

/** One end of a veth: its namespace, its name there, and how to set it up. */
export const endSpec = z.object({
  ns: endpointNs,
  ifname,
  addresses: z.array(cidr).default([]),
  mtu: mtu.optional(),
  mac: mac.optional(),
});
export type EndSpec = z.infer<typeof endSpec>;
export type EndInput = z.input<typeof endSpec>;
