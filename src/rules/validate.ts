// Checking input against a rule: a failure is a ValidationError that names
// each broken field and the rule it broke, thrown before any syscall.

import type { z } from 'zod';
import { quote } from './problems.js';

/** Input that breaks a rule; nothing was changed. */
export class ValidationError extends Error {
  override name = 'ValidationError';
  readonly code = 'EINVAL';
}

/** zod's own words, but quoting what it echoes of the input short (a key or value may be 10 MB). */
const shortQuotes: z.ZodErrorMap = (issue, ctx) => {
  const q = (v: unknown): string => (typeof v === 'string' && v.length <= 64 ? `'${v}'` : quote(v));
  switch (issue.code) {
    case 'invalid_enum_value':
      return { message: `Invalid enum value. Expected ${issue.options.map(q).join(' | ')}, received ${q(issue.received)}` };
    case 'unrecognized_keys': {
      const more = issue.keys.length > 8 ? ` and ${issue.keys.length - 8} more` : '';
      return { message: `Unrecognized key(s) in object: ${issue.keys.slice(0, 8).map(q).join(', ')}${more}` };
    }
    default:
      return { message: ctx.defaultError };
  }
};

/** Turn zod's issues into one readable line per problem. */
export function describeIssues(error: z.ZodError, what: string): string {
  return error.issues.map((i) => `${what}${i.path.length ? ' ' + i.path.map((p) => (typeof p === 'string' && p.length > 64 ? quote(p) : p)).join('.') : ''}: ${i.message}`).join('\n');
}

/** Parse with zod; a failure is a ValidationError naming each broken field. */
export function check<S extends z.ZodTypeAny>(schema: S, value: unknown, what: string): z.output<S> {
  const r = schema.safeParse(value, { errorMap: shortQuotes });
  if (!r.success) throw new ValidationError(describeIssues(r.error, what));
  return r.data;
}

/** A plain rule (problems.ts): its message, as a ValidationError naming `what`. */
export function checkWith<T>(problem: (v: T) => string | undefined, value: T, what: string): void {
  const why = problem(value);
  if (why) throw new ValidationError(`${what}: ${why}`);
}
