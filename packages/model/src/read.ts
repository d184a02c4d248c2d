// Typed reads from an untrusted document (parsed YAML or JSON), recording every problem instead of
// stopping at the first. Maps are read as ordered entries because a plain JS object would move
// integer-like keys (an interface named "10") to the front and break "config order".
import type { Issue, Message, Warning } from './issue.ts';
import { MAX_ISSUES, capIssues, messageOf } from './issue.ts';
import { at, describeType, quote } from './display.ts';
import { didYouMeanSuffix } from './names.ts';

export type Entries = Map<string, unknown>;

/** Issues and warnings up to MAX_ISSUES each; the rest are counted, their messages never made. */
export class Collector {
  readonly issues: Issue[] = [];
  readonly warnings: Warning[] = [];
  private droppedIssues = 0;
  private droppedWarnings = 0;

  issue(field: string, rule: string, message: Message): void {
    if (this.issues.length < MAX_ISSUES) this.issues.push({ field, rule, message: messageOf(message) });
    else this.droppedIssues++;
  }

  warn(field: string, message: Message): void {
    if (this.warnings.length < MAX_ISSUES) this.warnings.push({ field, message: messageOf(message) });
    else this.droppedWarnings++;
  }

  /** The issues, ending with one that counts those left out. */
  allIssues(): Issue[] {
    return capIssues(this.issues, this.droppedIssues);
  }

  allWarnings(): Warning[] {
    if (this.droppedWarnings === 0) return this.warnings;
    return [...this.warnings, { field: '', message: `${this.droppedWarnings} more warnings not listed` }];
  }
}

/** A mapping in either representation: a plain object (JSON, `YAML.parse`) or a Map (`mapAsMap`). */
export function isMapping(v: unknown): boolean {
  if (v instanceof Map) return true;
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

/** The entries of a mapping without reporting anything (for looking ahead); undefined otherwise. */
export function peekMap(v: unknown): Entries | undefined {
  return isMapping(v) ? entriesOf(v) : undefined;
}

function entriesOf(v: unknown): Entries {
  if (v instanceof Map) return new Map([...v].map(([k, x]) => [String(k), x]));
  return new Map(Object.entries(v as Record<string, unknown>));
}

/**
 * The entries of a mapping at `field`. An empty value (`ns1:` with nothing after it) is an empty
 * mapping; anything else that is not a mapping is a `type` issue and yields undefined.
 */
export function readMap(v: unknown, field: string, c: Collector, what = 'a map'): Entries | undefined {
  if (v === null || v === undefined) return new Map();
  if (isMapping(v)) return entriesOf(v);
  c.issue(field, 'type', `expected ${what}, got ${describeType(v)}`);
  return undefined;
}

/** Reports every key not in `allowed`, suggesting the closest allowed one. */
export function checkKeys(m: Entries, allowed: readonly string[], field: string, c: Collector): void {
  for (const k of m.keys()) {
    if (!allowed.includes(k)) {
      c.issue(at(field, k), 'unknown-key', () => `unknown key ${quote(k)}${didYouMeanSuffix(k, allowed)}; allowed here: ${allowed.join(', ')}`);
    }
  }
}

export function readString(m: Entries, key: string, field: string, c: Collector): string | undefined {
  const v = m.get(key);
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'string') return v;
  c.issue(at(field, key), 'type', `expected a string, got ${describeType(v)}`);
  return undefined;
}

export function readBool(m: Entries, key: string, field: string, c: Collector): boolean | undefined {
  const v = m.get(key);
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'boolean') return v;
  // YAML 1.2 reads yes/no/on/off as strings, which surprises people coming from YAML 1.1 tools.
  c.issue(at(field, key), 'type', `expected true or false, got ${describeType(v)}`);
  return undefined;
}

/** Type only (a whole number); ranges are checked on the resolved topology. */
export function readInt(m: Entries, key: string, field: string, c: Collector): number | undefined {
  const v = m.get(key);
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'number' && Number.isInteger(v)) return v;
  c.issue(at(field, key), 'type', `expected a whole number, got ${describeType(v)}`);
  return undefined;
}

export function readNumber(m: Entries, key: string, field: string, c: Collector): number | undefined {
  const v = m.get(key);
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  c.issue(at(field, key), 'type', `expected a number, got ${describeType(v)}`);
  return undefined;
}

export function readList(m: Entries, key: string, field: string, c: Collector): unknown[] | undefined {
  const v = m.get(key);
  if (v === undefined || v === null) return undefined;
  if (Array.isArray(v)) return v;
  c.issue(at(field, key), 'type', `expected a list, got ${describeType(v)}`);
  return undefined;
}

/** A list of strings; a wrong item is reported and kept as "" so later indexes still line up. */
export function readStringList(m: Entries, key: string, field: string, c: Collector): string[] | undefined {
  const list = readList(m, key, field, c);
  if (list === undefined) return undefined;
  return list.map((item, i) => {
    if (typeof item === 'string') return item;
    c.issue(at(at(field, key), i), 'type', `expected a string, got ${describeType(item)}`);
    return '';
  });
}

/** sysctl-style scalar: YAML reads `ip_forward: 1` as a number, the kernel wants the text "1". */
export function readScalarMap(m: Entries, key: string, field: string, c: Collector): Map<string, string> | undefined {
  const raw = m.get(key);
  if (raw === undefined) return undefined;
  const entries = readMap(raw, at(field, key), c);
  if (!entries) return undefined;
  const out = new Map<string, string>();
  for (const [k, v] of entries) {
    if (typeof v === 'string') out.set(k, v);
    else if (typeof v === 'number' && Number.isFinite(v)) out.set(k, String(v));
    else c.issue(at(at(field, key), k), 'type', `expected a string or number, got ${describeType(v)}`);
  }
  return out;
}
