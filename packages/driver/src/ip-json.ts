// iproute2's JSON writer escapes quotes, backslashes and \b\f\n\r\t but prints other control bytes
// raw, so an interface named by hand with an escape byte breaks JSON.parse. Raw control bytes can
// only occur inside strings (ip separates documents with '\n'), so escaping them is always safe.

export function sanitizeIpJson(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u0009\u000b-\u001f\u007f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** `ip -j -batch` prints one JSON document per command, each on its own line. */
export function parseIpJsonDocuments(text: string): unknown[] {
  return sanitizeIpJson(text)
    .split('\n')
    .filter((l) => l.trim().length > 0)
    .map((l) => JSON.parse(l) as unknown);
}
