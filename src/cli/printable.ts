// What the command writes to a terminal. Messages carry text from outside
// (names the user gave, what a Docker engine answered): a control character
// in it must not reach the terminal, where an escape sequence could recolour,
// move the cursor, retitle the window or fake a line of output.

/** Escapes for the C0 controls people know by name. */
const NAMED: Record<string, string> = { '\t': '\\t', '\n': '\\n', '\r': '\\r' };

/** C0 controls (tab and newline too), DEL and the C1 controls (U+0080-U+009F, CSI among them). */
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/g;

/**
 * `s` with every control character written as an escape: `\t`, `\n`, `\r`,
 * or `\xHH` (ESC is `\x1b`, so an escape sequence shows as text, harmless).
 * Printable text, non-ASCII letters included, is left as it is.
 */
export function printable(s: string): string {
  return s.replace(CONTROL, (c) => NAMED[c] ?? `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

/**
 * JSON.stringify, with DEL and the C1 controls (which JSON.stringify leaves
 * as they are) written as \u escapes too: the same JSON value, and nothing in
 * it a terminal would act on. (C0 controls JSON.stringify escapes itself.)
 */
export function jsonText(value: unknown, indent?: number): string {
  return JSON.stringify(value, null, indent).replace(/[\u007f-\u009f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
