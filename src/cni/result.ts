// The result an ADD prints: the previous plugin's result (prevResult) passed
// on, with this plugin's interfaces appended (name, mac, sandbox = the pod's
// namespace file), and, when asked (resultAddresses), their addresses in ips,
// each pointing at its interface by index. Not by default: libcni hands the
// whole cached result to every plugin of the list on CHECK, and the
// reference plugins (ptp, bridge) look for every ip of it on their own
// interface (CNI_IFNAME), so an address of ours there fails their CHECK
// ("Failed to match addr 10.214.0.2/30 on interface eth0"). Written in the
// configuration's cniVersion: before 1.0.0 an ip also carries its "version".

import type { PrevResult } from './config.js';
import { versionAtLeast } from './config.js';

/** One interface this plugin put into the pod. */
export interface PodInterface {
  ifname: string;
  mac?: string;
  addresses: string[];
}

export interface CniInterface {
  name: string;
  mac?: string;
  sandbox?: string;
  [key: string]: unknown;
}

export interface CniIp {
  address: string;
  interface?: number;
  version?: '4' | '6';
  [key: string]: unknown;
}

export interface CniResult {
  cniVersion: string;
  interfaces: CniInterface[];
  ips: CniIp[];
  [key: string]: unknown;
}

/** The result: prevResult (or an empty one) with `ours` added in `sandbox` (and their addresses, `withAddresses`). */
export function buildResult(cniVersion: string, prev: PrevResult | undefined, sandbox: string, ours: PodInterface[], withAddresses = false): CniResult {
  const withVersion = !versionAtLeast(cniVersion, '1.0.0');
  const base: Record<string, unknown> = prev ? { ...prev } : { dns: {} };
  const interfaces: CniInterface[] = [...(prev?.interfaces ?? [])];
  // An ADD run again for the same container lists an interface once.
  const mine = new Set(ours.map((o) => o.ifname));
  const dropped = new Set<number>();
  interfaces.forEach((i, at) => { if (i.sandbox === sandbox && mine.has(i.name)) dropped.add(at); });
  const renumber = new Map<number, number>();
  const kept: CniInterface[] = [];
  interfaces.forEach((i, at) => { if (!dropped.has(at)) { renumber.set(at, kept.length); kept.push(i); } });
  const ips: CniIp[] = [];
  for (const ip of prev?.ips ?? []) {
    if (ip.interface !== undefined && dropped.has(ip.interface)) continue;
    ips.push(ip.interface !== undefined ? { ...ip, interface: renumber.get(ip.interface)! } : { ...ip });
  }
  for (const o of ours) {
    const index = kept.length;
    kept.push({ name: o.ifname, ...(o.mac ? { mac: o.mac } : {}), sandbox });
    for (const address of withAddresses ? o.addresses : []) {
      ips.push({ ...(withVersion ? { version: address.includes(':') ? '6' : '4' } : {}), address, interface: index } as CniIp);
    }
  }
  return { ...base, cniVersion, interfaces: kept, ips };
}
