// Values quoted in messages: short whatever the input, so a 10 MB string
// makes a short error. Shared by every layer's messages.

/** How much of a value a message quotes. */
const QUOTE_MAX = 64;

/**
 * A value as messages quote it: a string in JSON quotes, and when it is long
 * only its first 64 characters and its size (`"xxx…"… (10000000 bytes)`), so
 * a 10 MB input makes a short message.
 */
export function quote(v: unknown): string {
  if (typeof v !== 'string') {
    let text: string | undefined;
    try {
      text = JSON.stringify(v);
    } catch { /* a cycle, a BigInt */ }
    text ??= String(v);
    return text.length <= QUOTE_MAX ? text : `${text.slice(0, QUOTE_MAX)}… (${text.length} characters)`;
  }
  if (v.length <= QUOTE_MAX) return JSON.stringify(v);
  let head = v.slice(0, QUOTE_MAX);
  if (/[\ud800-\udbff]$/.test(head)) head = head.slice(0, -1); // not half a character
  return `${JSON.stringify(head)}… (${Buffer.byteLength(v)} bytes)`;
}
