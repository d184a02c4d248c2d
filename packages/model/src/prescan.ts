// A cheap look at YAML text before any YAML library sees it: how deep it nests, how many nodes and
// links it declares and how many values it holds, in one pass over the characters, building
// nothing. The YAML library spends seconds on a hostile megabyte (6 s on 1 MB of `[[[[...`) and its
// composer recurses once per level; refusing here bounds that work before it starts.
//
// This is not a YAML parser. It follows the structure that matters for counting (block indentation,
// `- ` items, `key:` entries, flow collections, quoted and block scalars, comments) and skips the
// rest. On odd but valid YAML it may count loosely; the real checks still run on the parsed
// document, so a loose count can only let a document through to them, never invent a limit that
// a sensible document would hit.
import { TopologyError, TopologyLimitError, type LimitKind } from './issue.ts';
import { at } from './display.ts';
import { HOST } from './topology.ts';
import { runSync, type Steps } from './steps.ts';

export interface InputLimits {
  /** Collections inside collections. Topologies need about 7; the YAML composer recurses per level. */
  depth?: number;
  /** Entries under `nodes:` (`topology.nodes:` in containerlab), the lab host's `host` not counted. */
  nodes?: number;
  /** Items under `links:` (`topology.links:`). */
  links?: number;
  /** Values of any kind: scalars (keys included), lists and maps. */
  values?: number;
}

export const MAX_DEPTH = 32;

export interface Prescan {
  depth: number;
  nodes: number;
  links: number;
  values: number;
}

type Kind = 'map' | 'seq' | 'flow-map' | 'flow-seq';

interface Container {
  kind: Kind;
  /** Column of a block collection's entries; -1 for flow collections. */
  indent: number;
  /** Its key or index in the collection holding it (null at the top); paths are only made for messages. */
  at: string | number | null;
  entries: number;
  /** Current key of a map (the last one read). */
  key: string;
  /** A block entry whose value has not started yet (`key:` or `-` at the end of a line). */
  pending: boolean;
  /** A flow collection waiting for its next entry (after `[`, `{` or `,`). */
  expectEntry: boolean;
  watch: 'nodes' | 'links' | null;
}

/** Characters between the points where a paced caller may pause. */
const CHARS_PER_STEP = 65536;
const SPACE = 32;
const TAB = 9;
const LF = 10;
const CR = 13;


class Scanner {
  private pos = 0;
  private stack: Container[] = [];
  /** Indentation a block scalar's lines must exceed; null outside block scalars. */
  private blockScalarParent: number | null = null;
  /** Stack height under the flow collection being read (one may span the whole text); null in block context. */
  private flowBase: number | null = null;
  readonly counts: Prescan = { depth: 0, nodes: 0, links: 0, values: 0 };
  /** Where each watched collection is, for messages. */
  readonly fields: Record<'nodes' | 'links', string> = { nodes: 'nodes', links: 'links' };

  constructor(
    private readonly text: string,
    private readonly maxDepth: number,
  ) {}

  /** Yields every ~64 KB, so a caller can pace the pass over a megabyte. */
  *scan(): Generator<void, void> {
    const t = this.text;
    let paced = 0;
    while (this.pos < t.length) {
      if (this.pos - paced >= CHARS_PER_STEP) {
        paced = this.pos;
        yield;
      }
      if (this.flowBase !== null) {
        this.pos = this.flowChunk(this.pos, CHARS_PER_STEP);
        continue;
      }
      const lineStart = this.pos;
      let p = lineStart;
      while (t.charCodeAt(p) === SPACE) p++;
      const indent = p - lineStart;
      const c = t.charCodeAt(p);
      const blank = p >= t.length || c === LF || (c === CR && t.charCodeAt(p + 1) === LF);
      if (indent === 0 && this.isDocumentMarker(p)) {
        this.blockScalarParent = null;
        this.stack = [];
        this.content(p + 3, lineStart, true);
        continue;
      }
      if (this.blockScalarParent !== null) {
        if (blank || indent > this.blockScalarParent) {
          this.pos = this.lineEnd(p);
          continue;
        }
        this.blockScalarParent = null;
      }
      if (blank || c === 0x23 /* # */ || (indent === 0 && c === 0x25 /* % directive */)) {
        this.pos = this.lineEnd(p);
        continue;
      }
      const dash = this.isIndicator(p, 0x2d);
      this.closeBlocks(indent, dash);
      this.content(p, lineStart, false);
    }
  }

  private isDocumentMarker(p: number): boolean {
    const t = this.text;
    const three = t.startsWith('---', p) || t.startsWith('...', p);
    return three && this.isBlankAt(p + 3);
  }

  /** Space, tab, line end or end of text. */
  private isBlankAt(p: number): boolean {
    if (p >= this.text.length) return true;
    const c = this.text.charCodeAt(p);
    return c === SPACE || c === TAB || c === LF || c === CR;
  }

  /** `-`, `?` or `:` used as an indicator (followed by a blank). */
  private isIndicator(p: number, ch: number): boolean {
    return this.text.charCodeAt(p) === ch && this.isBlankAt(p + 1);
  }

  private lineEnd(p: number): number {
    const nl = this.text.indexOf('\n', p);
    return nl < 0 ? this.text.length : nl + 1;
  }

  private skipBlanks(p: number): number {
    const t = this.text;
    let c = t.charCodeAt(p);
    while (c === SPACE || c === TAB) c = t.charCodeAt(++p);
    return p;
  }

  /** Nothing but a comment or the line end from `p` on. */
  private restIsEmpty(p: number): boolean {
    const c = this.text.charCodeAt(p);
    return p >= this.text.length || c === LF || c === CR || c === 0x23;
  }

  private top(): Container | undefined {
    return this.stack[this.stack.length - 1];
  }

  private closeBlocks(indent: number, dash: boolean): void {
    for (let top = this.top(); top; top = this.top()) {
      const flow = top.indent < 0;
      // A block collection nested deeper has ended; a sequence at this column has ended unless
      // this line is another item of it (`key:` lines back at its column belong to the map).
      if (!flow && (top.indent > indent || (top.indent === indent && top.kind === 'seq' && !dash))) this.stack.pop();
      else if (flow) this.stack.pop(); // an unterminated flow collection; the parser will say so
      else break;
    }
  }

  /** Key or index of a value starting now in the current collection. */
  private childKey(): string | number | null {
    const top = this.top();
    if (!top) return null;
    if (top.kind === 'map' || top.kind === 'flow-map') return top.key;
    return Math.max(0, top.entries - 1);
  }

  private pathTo(key: string | number | null): string {
    let path = '';
    for (const c of this.stack) if (c.at !== null) path = at(path, c.at);
    return key === null ? path : at(path, key);
  }

  /** `nodes` or `links` at the top of a native file, or under `topology` in a containerlab one. */
  private watched(key: string | number | null): 'nodes' | 'links' | null {
    if (key !== 'nodes' && key !== 'links') return null;
    const isMap = (c: Container | undefined) => c !== undefined && (c.kind === 'map' || c.kind === 'flow-map');
    const [root, second] = this.stack;
    if (this.stack.length === 1 && isMap(root)) return key;
    if (this.stack.length === 2 && isMap(root) && second!.at === 'topology' && isMap(second)) return key;
    return null;
  }

  private value(): void {
    this.counts.values++;
    const top = this.top();
    if (top) top.pending = false;
  }

  private push(kind: Kind, indent: number): Container {
    const key = this.childKey();
    this.value();
    const depth = this.stack.length + 1;
    if (depth > this.maxDepth) throw this.depthError(this.pathTo(key));
    if (depth > this.counts.depth) this.counts.depth = depth;
    const watch = this.watched(key);
    if (watch) this.fields[watch] = this.pathTo(key);
    const c: Container = { kind, indent, at: key, entries: 0, key: '', pending: false, expectEntry: true, watch };
    this.stack.push(c);
    return c;
  }

  /** A new entry of `c`; `key` for maps (null while a flow map's key is not read yet). */
  private entry(c: Container, key: string | null): void {
    c.entries++;
    c.key = key ?? '';
    if (c.watch && !(c.watch === 'nodes' && key === HOST)) this.counts[c.watch]++;
  }

  /** Sets a flow map entry's key once it is read; the lab host was counted as a node before it was known. */
  private flowKey(c: Container, key: string): void {
    c.key = key;
    if (c.watch === 'nodes' && key === HOST) this.counts.nodes--;
  }

  private depthError(field: string): TopologyError {
    const before = this.text.slice(0, this.pos);
    const line = before.split('\n').length;
    return new TopologyError([
      {
        field: field || 'document',
        rule: 'depth',
        message: `nested more than ${this.maxDepth} levels deep (line ${line}); a topology needs about 7, so this cannot be one`,
      },
    ]);
  }

  /** The structure starting at `p` on the current line; leaves pos at the next line (or after a flow collection). */
  private content(p: number, lineStart: number, afterMarker: boolean): void {
    const t = this.text;
    p = this.skipBlanks(p);
    for (;;) {
      if (this.restIsEmpty(p)) {
        this.pos = this.lineEnd(p);
        return;
      }
      const col = p - lineStart;
      if (!afterMarker && this.isIndicator(p, 0x2d /* - */)) {
        const top = this.top();
        const seq = top && top.kind === 'seq' && top.indent === col ? top : this.push('seq', col);
        this.entry(seq, null);
        seq.pending = true;
        p = this.skipBlanks(p + 1);
        continue;
      }
      if (!afterMarker && (this.isIndicator(p, 0x3f /* ? */) || this.isIndicator(p, 0x3a /* : */))) {
        // Explicit keys are rare in topologies: count the entry, read what follows as a value.
        if (t.charCodeAt(p) === 0x3f) {
          const top = this.top();
          const map = top && top.kind === 'map' && top.indent === col ? top : this.push('map', col);
          this.entry(map, '?');
          map.pending = true;
        }
        p = this.skipBlanks(p + 1);
        continue;
      }
      p = this.skipProperties(p);
      if (this.restIsEmpty(p)) {
        this.pos = this.lineEnd(p);
        return;
      }
      const key = afterMarker ? null : this.implicitKey(p);
      if (key) {
        const top = this.top();
        const map = top && top.kind === 'map' && top.indent === col ? top : this.push('map', col);
        this.entry(map, key.text);
        this.counts.values++;
        map.pending = true;
        p = this.skipProperties(this.skipBlanks(key.end));
        if (this.restIsEmpty(p)) {
          this.pos = this.lineEnd(p);
          return;
        }
      }
      const top = this.top();
      // Text on a deeper line with no entry waiting for it continues a multi-line plain scalar.
      if (top && !top.pending && !afterMarker && !key) {
        this.pos = this.lineEnd(p);
        return;
      }
      this.inlineValue(p);
      return;
    }
  }

  /** Anchors (`&a`) and tags (`!t`, `!!str`) before a node. */
  private skipProperties(p: number): number {
    const t = this.text;
    for (let c = t.charCodeAt(p); c === 0x26 || c === 0x21; c = t.charCodeAt(p)) {
      while (p < t.length && !this.isBlankAt(p)) p++;
      p = this.skipBlanks(p);
    }
    return p;
  }

  /** `key:` at `p` on this line (plain or quoted key), or null. */
  private implicitKey(p: number): { text: string; end: number } | null {
    const t = this.text;
    const c = t.charCodeAt(p);
    if (c === 0x22 || c === 0x27) {
      const close = this.quotedEnd(p, true);
      if (close < 0) return null;
      const q = this.skipBlanks(close);
      if (!this.isIndicator(q, 0x3a)) return null;
      return { text: t.slice(p + 1, close - 1), end: q + 1 };
    }
    if (c === 0x5b || c === 0x7b || c === 0x2a || c === 0x7c || c === 0x3e || c === 0x23) return null; // [ { * | > #
    for (let q = p; q < t.length; q++) {
      const d = t.charCodeAt(q);
      if (d === LF || d === CR) return null;
      if (d === 0x23 && (t.charCodeAt(q - 1) === SPACE || t.charCodeAt(q - 1) === TAB)) return null;
      if (d === 0x3a && this.isBlankAt(q + 1)) return { text: t.slice(p, q).trimEnd(), end: q + 1 };
    }
    return null;
  }

  /** Position after the quoted scalar starting at `p`; with `oneLine`, -1 when it does not close on this line. */
  private quotedEnd(p: number, oneLine = false): number {
    const t = this.text;
    const quoteChar = t.charCodeAt(p);
    for (let q = p + 1; q < t.length; q++) {
      const d = t.charCodeAt(q);
      if (oneLine && d === LF) return -1;
      if (quoteChar === 0x22 && d === 0x5c /* \ */) q++;
      else if (d === quoteChar) {
        if (quoteChar === 0x27 && t.charCodeAt(q + 1) === 0x27) q++;
        else return q + 1;
      }
    }
    return oneLine ? -1 : t.length;
  }

  /** A value after `key:` or `- ` (or a document's top value): flow, quoted, block scalar, or plain. */
  private inlineValue(p: number): void {
    const t = this.text;
    const c = t.charCodeAt(p);
    if (c === 0x5b || c === 0x7b) {
      this.flowBase = this.stack.length;
      this.push(c === 0x5b ? 'flow-seq' : 'flow-map', -1);
      this.pos = p + 1;
      return;
    }
    if (c === 0x22 || c === 0x27) {
      this.value();
      this.pos = this.lineEnd(this.quotedEnd(p));
      return;
    }
    if (c === 0x7c || c === 0x3e) {
      this.value();
      // Its lines are those indented past the collection holding it (or any, at the top).
      let parent = -1;
      for (let i = this.stack.length - 1; i >= 0 && parent < 0; i--) parent = this.stack[i]!.indent;
      this.blockScalarParent = parent;
      this.pos = this.lineEnd(p);
      return;
    }
    this.value();
    this.pos = this.lineEnd(p);
  }

  /**
   * Up to `budget` characters of the flow collection being read, from `p`; returns where it
   * stopped: within it, or at the next line once it is closed (the rest of that line is skipped).
   */
  private flowChunk(p: number, budget: number): number {
    const t = this.text;
    const base = this.flowBase!;
    const stop = Math.min(t.length, p + budget);
    while (p < stop && this.stack.length > base) {
      const c = t.charCodeAt(p);
      const top = this.top()!;
      switch (c) {
        case SPACE:
        case TAB:
        case CR:
        case LF:
          p++;
          break;
        case 0x2c: // ,
          top.expectEntry = true;
          p++;
          break;
        case 0x5d: // ]
        case 0x7d: // }
          this.stack.pop();
          p++;
          break;
        case 0x3a: // : between a flow map's key and value
          p++;
          break;
        case 0x23: // # starts a comment only after a blank
          if (this.isBlankAt(p - 1)) {
            p = this.lineEnd(p);
            break;
          }
        // falls through: part of a plain scalar
        default: {
          const starts = top.expectEntry;
          if (starts) {
            top.expectEntry = false;
            this.entry(top, null);
          }
          if (c === 0x5b || c === 0x7b) {
            this.push(c === 0x5b ? 'flow-seq' : 'flow-map', -1);
            p++;
            break;
          }
          const start = p;
          if (c === 0x22 || c === 0x27) p = this.quotedEnd(p);
          else if (c === 0x26 || c === 0x21) {
            while (p < t.length && !this.isBlankAt(p) && !this.isFlowIndicator(t.charCodeAt(p))) p++;
            break; // properties: the node follows
          } else p = this.plainEnd(p);
          if (starts) {
            this.counts.values++;
            if (top.kind === 'flow-map') {
              const text = t.slice(start, p);
              this.flowKey(top, c === 0x22 || c === 0x27 ? text.slice(1, -1) : text.trim());
            }
          }
          break;
        }
      }
    }
    if (this.stack.length > base && p < t.length) return p;
    this.stack.length = Math.min(this.stack.length, base);
    this.flowBase = null;
    const top = this.top();
    if (top) top.pending = false;
    return this.lineEnd(p);
  }

  private isFlowIndicator(c: number): boolean {
    return c === 0x2c || c === 0x5b || c === 0x5d || c === 0x7b || c === 0x7d;
  }

  /** End of a plain scalar in a flow collection (this line's part of it). */
  private plainEnd(p: number): number {
    const t = this.text;
    for (; p < t.length; p++) {
      const c = t.charCodeAt(p);
      if (c === LF || c === CR || this.isFlowIndicator(c)) return p;
      if (c === 0x3a && (this.isBlankAt(p + 1) || this.isFlowIndicator(t.charCodeAt(p + 1)))) return p;
      if (c === 0x23 && this.isBlankAt(p - 1)) return p;
    }
    return p;
  }
}

/**
 * Depth, nodes, links and values of YAML `text`, refusing it as soon as it nests deeper than
 * `limits.depth` (a TopologyError with rule `depth` and the path of the collection), and after the
 * pass when it has more nodes, links or values than allowed (a TopologyLimitError naming the field).
 */
export function prescanYaml(text: string, limits: InputLimits = {}): Prescan {
  return runSync(prescanSteps(text, limits));
}

/** prescanYaml in steps (see steps.ts). */
export function* prescanSteps(text: string, limits: InputLimits = {}): Steps<Prescan> {
  const s = new Scanner(text, limits.depth ?? MAX_DEPTH);
  yield* s.scan();
  const { counts, fields } = s;
  const over = (kind: LimitKind, field: string, what: string) => {
    const max = limits[kind];
    if (max !== undefined && counts[kind] > max) {
      throw new TopologyLimitError(kind, max, counts[kind], field, `${counts[kind]} ${what}; at most ${max} are allowed`);
    }
  };
  over('nodes', fields.nodes, 'nodes');
  over('links', fields.links, 'links');
  over('values', 'yaml', 'values (scalars, lists and maps)');
  return counts;
}
