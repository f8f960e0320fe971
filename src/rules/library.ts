// The input rules of the library's calls that take option objects (links.set,
// routes, neighbours), built on first use: a zod schema costs to build (each
// binds its ~30 methods), and the CLI and connect() need none of these.

import { z } from 'zod';
import { parseIPv4, parseIPv6 } from '../netlink/bytes.js';
import { cidr, ifname, mac, mtu } from './schemas.js';
import { linkName, netnsTarget } from './link-kinds.js';
import { quote } from './problems.js';

const u32 = z.number().int().nonnegative().max(0xffffffff);

type Family = 'inet' | 'inet6';
const familyName = (f: Family): string => (f === 'inet6' ? 'IPv6' : 'IPv4');

/** The family of an IP address in text, or undefined when it is none. */
function familyOf(ip: string): Family | undefined {
  if (ip.includes(':')) return parseIPv6(ip) ? 'inet6' : undefined;
  return parseIPv4(ip) ? 'inet' : undefined;
}

/** An IP address (v4 or v6), no prefix length. */
export const ipAddress = z.string().superRefine((s, ctx) => {
  if (!familyOf(s)) ctx.addIssue({ code: 'custom', message: `${quote(s)} is not an IP address` });
});

function buildLibrarySchemas() {
  const linkSet = z.object({
    up: z.boolean().optional(),
    mtu: mtu.optional(),
    address: mac.optional(),
    ifname: ifname.optional(),
    master: z.union([linkName, z.null()]).optional(),
    alias: z.string().max(255).optional(),
    txqlen: u32.optional(),
    netns: netnsTarget.optional(),
  });
  const route = z.object({
    dst: z.union([z.literal('default'), cidr]),
    gateway: z.string().optional(),
    dev: linkName.optional(),
    metric: u32.optional(),
    table: z.number().int().min(1).max(0xffffffff).optional(),
    prefsrc: z.string().optional(),
    family: z.enum(['inet', 'inet6']).optional(),
  }).superRefine((r, ctx) => {
    // The route's family: its destination's, or `family`, or (for a default route) its gateway's.
    const dstFamily = r.dst === 'default' ? undefined : familyOf(r.dst.slice(0, r.dst.indexOf('/')));
    if (dstFamily && r.family && r.family !== dstFamily) {
      ctx.addIssue({ code: 'custom', path: ['family'], message: `family ${r.family} does not match dst ${r.dst}, an ${familyName(dstFamily)} prefix` });
    }
    let family: Family | undefined = dstFamily ?? r.family;
    const why = dstFamily ? `to ${r.dst}` : r.family ? `family ${r.family}` : 'as its gateway is';
    for (const key of ['gateway', 'prefsrc'] as const) {
      const v = r[key];
      if (v === undefined) continue;
      const f = familyOf(v);
      if (!f) ctx.addIssue({ code: 'custom', path: [key], message: `${key} ${quote(v)} is not an IP address` });
      else if (!family) family = f;
      else if (f !== family) ctx.addIssue({ code: 'custom', path: [key], message: `${key} ${v} is an ${familyName(f)} address; the route is ${familyName(family)} (${why})` });
    }
  });
  const neigh = z.object({
    dev: linkName,
    dst: ipAddress,
    lladdr: mac.optional(),
  });
  return { linkSet, route, neigh };
}

export type LibrarySchemas = ReturnType<typeof buildLibrarySchemas>;
let built: LibrarySchemas | undefined;
/** The schemas of links.set, routes and neighbours, built on first use. */
export const librarySchemas = (): LibrarySchemas => (built ??= buildLibrarySchemas());
