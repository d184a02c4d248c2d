// Warnings of a containerlab import, one per kind of thing not reproduced. A 44-node fabric
// otherwise says "image is not reproduced" 44 times and the one warning that matters scrolls away.
import type { Warning } from './issue.ts';

type Lazy = string | (() => string);

/** Names listed in one grouped warning before "and N more". */
const MAX_LISTED = 12;
/** Warnings made at most; the rest are counted (their messages, some with a did-you-mean, are never built). */
const MAX_WARNINGS = 100;

interface Group {
  fields: string[];
  who: string[];
  message: Lazy;
  many?: (list: string, count: number) => string;
}

export class Notes {
  private readonly groups = new Map<string, Group>();
  private singles = 0;

  /** A warning on its own. */
  note(field: string, message: Lazy): void {
    this.groups.set(`\u0000${this.singles++}`, { fields: [field], who: [], message });
  }

  /**
   * A warning about `who` (a node, a link); every warning with the same `key` becomes one, made by
   * `many` from the list of everyone it is about. `message` is used when there is only one.
   */
  group(key: string, field: string, who: string, message: Lazy, many: (list: string, count: number) => string): void {
    const g = this.groups.get(key);
    if (!g) this.groups.set(key, { fields: [field], who: [who], message, many });
    else {
      g.fields.push(field);
      if (!g.who.includes(who)) g.who.push(who);
    }
  }

  warnings(): Warning[] {
    const out: Warning[] = [];
    let dropped = 0;
    for (const g of this.groups.values()) {
      if (out.length >= MAX_WARNINGS) {
        dropped++;
        continue;
      }
      if (g.fields.length === 1 || !g.many) {
        out.push({ field: g.fields[0]!, message: typeof g.message === 'function' ? g.message() : g.message });
        continue;
      }
      const shown = g.who.slice(0, MAX_LISTED).join(', ') + (g.who.length > MAX_LISTED ? ` and ${g.who.length - MAX_LISTED} more` : '');
      out.push({ field: fieldPattern(g.fields), message: g.many(shown, g.who.length) });
    }
    if (dropped > 0) out.push({ field: '', message: `${dropped} more warnings not listed` });
    return out;
  }
}

/**
 * One field for many: `topology.nodes.*.image` when they differ in one segment only, else the
 * first of them.
 */
export function fieldPattern(fields: readonly string[]): string {
  const split = fields.map(segments);
  const first = split[0]!;
  if (split.some((s) => s.length !== first.length)) return fields[0]!;
  const differ = first.map((_, k) => split.some((s) => s[k] !== first[k]));
  if (differ.filter(Boolean).length !== 1) return fields[0]!;
  return first.map((seg, k) => (differ[k] ? (seg.startsWith('[') ? '[*]' : '*') : seg)).join('.').replace(/\.\[/g, '[');
}

/** `a.b["c.d"][2]` -> ["a", "b", '["c.d"]', "[2]"]. */
function segments(field: string): string[] {
  return field.match(/\[(?:"(?:[^"\\]|\\.)*"|\d+)\]|[^.[]+/g) ?? [field];
}
