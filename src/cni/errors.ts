// CNI error objects: what the plugin prints on stdout when a verb fails, with
// the spec's well-known codes (CNI spec 1.0, "Error"; 50 and 51 are 1.1's
// STATUS codes) and this plugin's own from 100 up.

/** The spec's well-known codes, and ours (100+). */
export const CNI_CODE = {
  incompatibleVersion: 1,
  unsupportedField: 2,
  unknownContainer: 3,
  invalidEnv: 4,
  ioFailure: 5,
  decodingFailure: 6,
  invalidConfig: 7,
  tryAgainLater: 11,
  notAvailable: 50,
  /** The lab could not be applied or destroyed for this pod; what this call did was undone. */
  labFailed: 100,
  /** CHECK: the pod's links are not what the lab says. */
  drift: 101,
  /** A failure this plugin did not foresee (libcni's ErrInternal). */
  internal: 999,
} as const;

export type CniCode = (typeof CNI_CODE)[keyof typeof CNI_CODE];

/** A failure to report as a CNI error object. */
export class CniError extends Error {
  constructor(readonly code: CniCode, msg: string, readonly details?: string) {
    super(msg);
    this.name = 'CniError';
  }

  /** The object the spec asks for on stdout. */
  toJSON(cniVersion: string): { cniVersion: string; code: number; msg: string; details?: string } {
    return { cniVersion, code: this.code, msg: this.message, ...(this.details ? { details: this.details } : {}) };
  }
}

/**
 * Codes 1 to 7 say the input was refused before anything changed: the
 * process exits 2 for them (vethcon's "nothing was changed"), 1 otherwise.
 * The spec asks only for a non-zero status.
 */
export function exitStatusOf(code: number): number {
  return code >= 1 && code <= 7 ? 2 : 1;
}

/** Any thrown value as a CNI error: a CniError as it is, anything else under `code`. */
export function asCniError(error: unknown, code: CniCode, what: string): CniError {
  if (error instanceof CniError) return error;
  const e = error instanceof Error ? error : new Error(String(error));
  const kind = e.constructor?.name && e.constructor.name !== 'Error' ? e.constructor.name : undefined;
  const errno = (e as { code?: unknown }).code;
  const details = [kind, typeof errno === 'string' ? errno : undefined].filter(Boolean).join(' ');
  return new CniError(code, `${what}: ${e.message}`, details || undefined);
}
