// The input rules as zod schemas: interface names, CIDRs, MACs, MTUs,
// namespace names, endpoints. Each rule's message names what broke it, and
// quotes the value short (quote()).

import { z } from 'zod';
import { cidrProblem, ifaddrProblem, ifnameProblem, netnsNameProblem, pathProblem, quote } from './problems.js';

/** Like the kernel's dev_valid_name(), and no '%' (see ifnameProblem). */
export const ifname = z.string().superRefine((s, ctx) => {
  const why = ifnameProblem(s);
  if (why) ctx.addIssue({ code: 'custom', message: `interface name ${quote(s)} ${why}` });
});

/** A prefix: 10.10.1.0/24 or 2001:db8::/64 (a route's destination). */
export const cidr = z.string().superRefine((s, ctx) => {
  const why = cidrProblem(s);
  if (why) ctx.addIssue({ code: 'custom', message: `address ${quote(s)} ${why}` });
});

/** An address for a link with its prefix length: 10.10.1.2/24 or 2001:db8::1/64, not 0.0.0.0 or ::. */
export const ifaddr = z.string().superRefine((s, ctx) => {
  const why = ifaddrProblem(s);
  if (why) ctx.addIssue({ code: 'custom', message: `address ${quote(s)} ${why}` });
});

/** A unicast Ethernet address, as `ip link set address` takes it (not all zeros). */
export const mac = z.string().superRefine((s, ctx) => {
  if (!/^[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){5}$/.test(s)) ctx.addIssue({ code: 'custom', message: `MAC ${quote(s)} is not six colon-separated hex bytes, like 02:00:00:00:00:01` });
  else if (parseInt(s.slice(0, 2), 16) & 1) ctx.addIssue({ code: 'custom', message: `MAC ${s} is a multicast address; a link needs a unicast one (first byte even)` });
  else if (/^0{2}(:0{2}){5}$/.test(s)) ctx.addIssue({ code: 'custom', message: `MAC ${s} is all zeros; a link needs a unicast address` });
});

/** veth takes 68 (the IPv4 minimum) to 65535. The message names the bad value. */
export const mtu = z.number().superRefine((n, ctx) => {
  if (!Number.isInteger(n)) ctx.addIssue({ code: 'custom', message: `MTU ${n} is not a whole number` });
  else if (n < 68) ctx.addIssue({ code: 'custom', message: `MTU ${n} is too small: it must be at least 68` });
  else if (n > 65535) ctx.addIssue({ code: 'custom', message: `MTU ${n} is too big: it must be at most 65535` });
});

/** The least MTU IPv6 takes: below it the kernel switches IPv6 off on the link. */
export const IPV6_MIN_MTU = 1280;

/** Like iproute2's netns names: non-empty, no '/', not . or .., at most 255 bytes. */
export const netnsName = z.string().superRefine((s, ctx) => {
  const why = netnsNameProblem(s);
  if (why) ctx.addIssue({ code: 'custom', message: `namespace name ${quote(s)} is not valid: ${why}` });
});

export const containerName = z.string().superRefine((s, ctx) => {
  if (s === '') ctx.addIssue({ code: 'custom', message: 'container name is empty' });
  else if (!/^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/.test(s)) ctx.addIssue({ code: 'custom', message: `container name or id ${quote(s)} is not valid: it may hold only letters, digits, _ . and - (and start with a letter or digit)` });
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
    const why = pathProblem(s);
    if (why) ctx.addIssue({ code: 'custom', message: `namespace path ${why}` });
    else if (!s.startsWith('/')) ctx.addIssue({ code: 'custom', message: `namespace path ${quote(s)} must be absolute` });
  }) }),
  z.object({ type: z.literal('current') }),
]);
export type EndpointNs = z.infer<typeof endpointNs>;

/** One end of a veth: its namespace, its name there, and how to set it up. */
export const endSpec = z.object({
  ns: endpointNs,
  ifname,
  addresses: z.array(ifaddr).default([]),
  mtu: mtu.optional(),
  mac: mac.optional(),
}).superRefine((end, ctx) => {
  // Below 1280 the kernel switches IPv6 off on the link: its addresses could not be added.
  if (end.mtu === undefined || end.mtu >= IPV6_MIN_MTU) return;
  const v6 = end.addresses.find((c) => c.includes(':'));
  if (v6 !== undefined) {
    ctx.addIssue({ code: 'custom', path: ['mtu'], message: `MTU ${end.mtu} is below ${IPV6_MIN_MTU}, the least IPv6 takes, and the end has the IPv6 address ${v6} (the kernel would switch IPv6 off on the link)` });
  }
});
export type EndSpec = z.infer<typeof endSpec>;
export type EndInput = z.input<typeof endSpec>;
