// The result an ADD prints: the previous plugin's result (prevResult) passed
// on, with this plugin's interfaces appended (name, mac, sandbox = the pod's
// namespace file) and their addresses in ips, each pointing at its interface
// by index. Written in the configuration's cniVersion: before 1.0.0 an ip
// also carries its "version" ("4" or "6").

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

/** The result: prevResult (or an empty one) with `ours` added in `sandbox`. */
export function buildResult(cniVersion: string, prev: PrevResult | undefined, sandbox: string, ours: PodInterface[]): CniResult {
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
    for (const address of o.addresses) {
      ips.push({ ...(withVersion ? { version: address.includes(':') ? '6' : '4' } : {}), address, interface: index } as CniIp);
    }
  }
  return { ...base, cniVersion, interfaces: kept, ips };
}
