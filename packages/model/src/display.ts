// How user-supplied strings appear inside messages and field paths: quoted, with anything that is
// not printable ASCII escaped, so a newline, a control byte or a Cyrillic look-alike is visible.

const MAX_SHOWN = 80;

export function quote(s: string): string {
  const shown = s.length > MAX_SHOWN ? `${s.slice(0, MAX_SHOWN)}...` : s;
  let out = '"';
  for (const ch of shown) {
    const cp = ch.codePointAt(0)!;
    if (ch === '"' || ch === '\\') out += `\\${ch}`;
    else if (ch === '\n') out += '\\n';
    else if (ch === '\t') out += '\\t';
    else if (cp < 0x20 || cp >= 0x7f) out += cp > 0xffff ? `\\u{${cp.toString(16)}}` : `\\u${cp.toString(16).padStart(4, '0')}`;
    else out += ch;
  }
  return `${out}"`;
}

/** "a number", "a list"... for "expected X, got Y" messages. */
export function describeType(v: unknown): string {
  if (v === null || v === undefined) return 'nothing';
  if (Array.isArray(v)) return 'a list';
  if (v instanceof Map || typeof v === 'object') return 'a map';
  if (typeof v === 'string') return `the string ${quote(v)}`;
  if (typeof v === 'number' || typeof v === 'boolean') return `${typeof v === 'number' ? 'the number' : 'the boolean'} ${String(v)}`;
  return typeof v;
}

/** Appends a key or index to a field path: `nodes.ns1`, `addresses[0]`, `sysctls["net.ipv4.ip_forward"]`. */
export function at(base: string, key: string | number): string {
  if (typeof key === 'number') return `${base}[${key}]`;
  if (!/^[A-Za-z0-9_-]+$/.test(key)) return `${base}[${quote(key)}]`;
  return base === '' ? key : `${base}.${key}`;
}
