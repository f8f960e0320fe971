// The network configuration the runtime writes on stdin, checked with zod
// before anything changes. Keys the CNI spec gives every plugin (cniVersion,
// name, type, args, runtimeConfig, capabilities, prevResult, dns, ipam, and
// 1.1's GC list) are taken; this plugin's own are lab or labFile, logFile,
// host, stateDir and resultAddresses. Any other key is refused with code 2 ("unsupported field"), so a
// typo like "labfile" is said, not ignored.

import { z } from 'zod/v4';
import { isAbsolute } from 'node:path';
import { loadLab, parseLab, jsonPath, type Lab } from '../lab/index.js';
import { ValidationError } from '../rules/index.js';
import { CniError, CNI_CODE } from './errors.js';

/** The spec versions this plugin speaks; a result is written in the configuration's. */
export const SUPPORTED_VERSIONS = ['0.3.0', '0.3.1', '0.4.0', '1.0.0', '1.1.0'] as const;
export type CniVersion = (typeof SUPPORTED_VERSIONS)[number];

/** Where bindings are kept unless stateDir says otherwise. */
export const DEFAULT_STATE_DIR = '/var/lib/vethcon-cni';

// The spec's rule for a network name (and a lab node name, which is a path part here too).
const NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;
const absolutePath = (what: string) => z.string().refine((s) => isAbsolute(s) && !s.includes('\0'), `${what} must be an absolute path`);
const nodeName = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/, 'a lab node name is letters, digits, _ . and -, starting with a letter or digit');

/** A previous plugin's result, as far as this plugin reads it; the rest is passed on untouched. */
export const prevResultSchema = z.looseObject({
  cniVersion: z.string().optional(),
  interfaces: z.array(z.looseObject({ name: z.string(), mac: z.string().optional(), sandbox: z.string().optional() })).optional(),
  ips: z.array(z.looseObject({ address: z.string(), interface: z.int().min(0).optional() })).optional(),
  routes: z.array(z.unknown()).optional(),
  dns: z.unknown().optional(),
});
export type PrevResult = z.infer<typeof prevResultSchema>;

export const networkConfig = z.strictObject({
  cniVersion: z.string(),
  name: z.string().regex(NAME, 'a network name starts with a letter or digit, then letters, digits, _ . and -'),
  type: z.string().min(1),
  lab: z.unknown().optional().describe('The lab, inline (the lab file format).'),
  labFile: absolutePath('labFile').optional().describe('The lab file, on this node.'),
  logFile: absolutePath('logFile').optional().describe('Where the plugin logs; no logging without it.'),
  host: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/, 'a host name is letters, digits, _ . and -').optional().describe('Multi-host labs: which of the lab\'s hosts this node is (links to pods on other hosts become vxlan ends).'),
  stateDir: absolutePath('stateDir').optional().describe(`Where pod bindings are kept; ${DEFAULT_STATE_DIR} by default.`),
  resultAddresses: z.boolean().optional().describe('Also list our interfaces\' addresses in the result\'s ips (off: the reference plugins\' CHECK checks every ip on their own interface).'),
  args: z.looseObject({ cni: z.looseObject({ labNode: nodeName.optional() }).optional() }).optional(),
  runtimeConfig: z.looseObject({ labNode: nodeName.optional() }).optional(),
  capabilities: z.record(z.string(), z.boolean()).optional(),
  prevResult: prevResultSchema.optional(),
  dns: z.unknown().optional(),
  ipam: z.unknown().optional(),
  'cni.dev/valid-attachments': z.array(z.looseObject({ containerID: z.string(), ifname: z.string() })).optional(),
}).superRefine((c, ctx) => {
  if ((c.lab === undefined) === (c.labFile === undefined)) ctx.addIssue({ code: 'custom', message: 'give the lab inline ("lab") or as a file ("labFile"), exactly one of them' });
});
export type NetworkConfig = z.infer<typeof networkConfig>;

export function isSupportedVersion(v: unknown): v is CniVersion {
  return typeof v === 'string' && (SUPPORTED_VERSIONS as readonly string[]).includes(v);
}

/** a.b.c compared as numbers. */
export function versionAtLeast(v: string, min: string): boolean {
  const a = v.split('.').map(Number);
  const b = min.split('.').map(Number);
  for (let i = 0; i < 3; i++) if ((a[i] ?? 0) !== (b[i] ?? 0)) return (a[i] ?? 0) > (b[i] ?? 0);
  return true;
}

/** stdin as JSON (code 6 if it is not). */
export function decodeStdin(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new CniError(CNI_CODE.decodingFailure, `the network configuration on stdin is not JSON: ${(e as Error).message}`);
  }
}

/** The configuration, checked: code 1 for a version we do not speak, 2 for an unknown key, 7 for anything else wrong. */
export function parseConfig(value: unknown): NetworkConfig {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new CniError(CNI_CODE.invalidConfig, 'the network configuration must be a JSON object');
  const version = (value as { cniVersion?: unknown }).cniVersion;
  if (version === undefined) throw new CniError(CNI_CODE.invalidConfig, 'network configuration: cniVersion is missing');
  if (!isSupportedVersion(version)) {
    throw new CniError(CNI_CODE.incompatibleVersion, `cniVersion ${JSON.stringify(version)} is not supported`, `supported: ${SUPPORTED_VERSIONS.join(', ')}`);
  }
  const r = networkConfig.safeParse(value);
  if (r.success) return r.data;
  const unknown = r.error.issues.find((i) => i.code === 'unrecognized_keys' && i.path.length === 0);
  if (unknown && unknown.code === 'unrecognized_keys') {
    const fields = unknown.keys.map((k) => `${JSON.stringify(k)}: ${JSON.stringify((value as Record<string, unknown>)[k])}`);
    throw new CniError(CNI_CODE.unsupportedField, `network configuration: unsupported field ${fields.join(', ')}`);
  }
  throw new CniError(CNI_CODE.invalidConfig, r.error.issues.map((i) => `network configuration: ${jsonPath(i.path)}: ${i.message}`).join('\n'));
}

/** The configuration's lab, checked (code 7 with the lab's JSON path if it is not valid). */
export function labOf(config: NetworkConfig): Lab {
  try {
    return config.labFile !== undefined ? loadLab(config.labFile) : parseLab(config.lab, 'network configuration: lab');
  } catch (e) {
    if (e instanceof ValidationError) throw new CniError(CNI_CODE.invalidConfig, e.message);
    throw e;
  }
}
