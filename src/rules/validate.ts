// Checking input against a rule: a failure is a ValidationError that names
// each broken field and the rule it broke, thrown before any syscall.

import type { z } from 'zod';

/** Input that breaks a rule; nothing was changed. */
export class ValidationError extends Error {
  override name = 'ValidationError';
  readonly code = 'EINVAL';
}

/** Turn zod's issues into one readable line per problem. */
export function describeIssues(error: z.ZodError, what: string): string {
  return error.issues.map((i) => `${what}${i.path.length ? ' ' + i.path.join('.') : ''}: ${i.message}`).join('\n');
}

/** Parse with zod; a failure is a ValidationError naming each broken field. */
export function check<S extends z.ZodTypeAny>(schema: S, value: unknown, what: string): z.output<S> {
  const r = schema.safeParse(value);
  if (!r.success) throw new ValidationError(describeIssues(r.error, what));
  return r.data;
}
