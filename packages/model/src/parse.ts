// Topology text -> resolved Topology. YAML is parsed defensively (size cap, a pre-scan for depth
// and counts, alias cap, unique keys) because topology files come from strangers: seeds, blog
// posts, pasted snippets, and a server's hostile users.
import YAML from 'yaml';
import type { Topology } from './topology.ts';
import type { Issue, Warning } from './issue.ts';
import { TopologyError, capIssues } from './issue.ts';
import { isMapping, peekMap } from './read.ts';
import { nativeSteps } from './native.ts';
import { clabSteps } from './clab.ts';
import { runSliced, runSync, type Steps } from './steps.ts';
import { prescanSteps, type InputLimits } from './prescan.ts';
import { expandClabText, type Env } from './clab-env.ts';
import { composeInPieces } from './compose.ts';

export { parseNative } from './native.ts';
export { parseClab } from './clab.ts';
export { validateTopology, checkExecLine, INTERFACE_KINDS, MACVLAN_MODES, DEFAULT_VXLAN_PORT, MAX_VXLAN_ID } from './validate.ts';
export { prescanYaml, MAX_DEPTH, type InputLimits, type Prescan } from './prescan.ts';

export type TopologyFormat = 'native' | 'clab';

export interface ParsedTopology {
  topology: Topology;
  warnings: Warning[];
  format: TopologyFormat;
}

export interface ParseOptions {
  fileName?: string;
  format?: TopologyFormat;
  /** Refuse before parsing; depth is always limited (MAX_DEPTH unless given). */
  limits?: InputLimits;
  /**
   * Environment for a containerlab file's `$VAR` / `${VAR:=default}` (containerlab expands them).
   * Undefined: defaults only, for callers that must not reveal their own environment (a server).
   */
  env?: Env;
}

export const MAX_TOPOLOGY_BYTES = 1024 * 1024;
const MAX_ALIASES = 100;
/** Lexemes between the points where an async caller may let other work run. */
const LEXEMES_PER_STEP = 2048;

/** Parses `text` (native or containerlab YAML); throws TopologyError carrying every issue found. */
export function parseTopology(text: string, opts: ParseOptions = {}): ParsedTopology {
  return runSync(topologySteps(text, opts));
}

/**
 * parseTopology in slices of about `sliceMs`, awaiting `pause()` between them, so a server's
 * event loop keeps answering while a big document is read (YAML parsing runs ~1 ms per KB).
 * `pause` is the caller's (e.g. `() => new Promise((r) => setImmediate(r))`): the model has no timers.
 */
export function parseTopologyAsync(text: string, opts: ParseOptions & { pause: () => Promise<void>; sliceMs?: number }): Promise<ParsedTopology> {
  return runSliced(topologySteps(text, opts), opts.pause, opts.sliceMs ?? 10);
}

/**
 * YAML text -> plain data with mappings as Maps (so key order survives even for keys like "10").
 * Syntax errors become issues on field `yaml` with their line and column.
 */
export function loadYaml(text: string, limits: InputLimits = {}): unknown {
  return runSync(yamlSteps(text, limits));
}

function* topologySteps(text: string, opts: ParseOptions): Steps<ParsedTopology> {
  const limits = opts.limits ?? {};
  // containerlab expands variables in the text, before the YAML is read; a file known to be one
  // by its name is expanded first, one found by its `topology:` key read again once expanded.
  const named = (opts.format ?? detectFormat(null, opts.fileName)) === 'clab';
  // Too big, or not text: yamlSteps says so before anything is expanded.
  const expandable = typeof text === 'string' && text.length <= MAX_TOPOLOGY_BYTES;
  let expanded = named && expandable ? expandClabText(text, opts.env) : undefined;
  let doc = yield* yamlSteps(expanded?.text ?? text, limits);
  yield;
  const format = opts.format ?? detectFormat(doc, opts.fileName);
  if (format !== 'clab') return yield* nativeSteps(doc);
  if (!expanded) {
    expanded = expandClabText(text, opts.env);
    if (expanded.text !== text) doc = yield* yamlSteps(expanded.text, limits);
  }
  const parsed = yield* clabSteps(doc);
  return expanded.warning ? { ...parsed, warnings: [expanded.warning, ...parsed.warnings] } : parsed;
}

/** loadYaml as steps: the caller decides whether to let other work run between them. */
function* yamlSteps(text: string, limits: InputLimits): Steps<unknown> {
  if (typeof text !== 'string') throw new TopologyError([{ field: 'yaml', rule: 'type', message: 'topology text must be a string' }]);
  const bytes = utf8Length(text);
  if (bytes > MAX_TOPOLOGY_BYTES) {
    throw new TopologyError([{ field: 'yaml', rule: 'size', message: `the file is ${bytes} bytes; topologies are limited to ${MAX_TOPOLOGY_BYTES} bytes (1 MiB)` }]);
  }
  yield;
  yield* prescanSteps(text, limits);
  yield;
  const lines = new YAML.LineCounter();
  try {
    // Parser.parse() would do this in one go; feeding lexemes one by one lets the caller pause.
    const parser = new YAML.Parser(lines.addNewLine);
    lines.addNewLine(0);
    const tokens: YAML.CST.Token[] = [];
    let n = 0;
    // Anchors, aliases, tags, directives and merge keys tie parts of a document together, which
    // rules out composing it in pieces. A plain scalar's text follows the SCALAR lexeme.
    let plain = true;
    let scalarText = false;
    for (const lexeme of new YAML.Lexer().lex(text)) {
      if (scalarText) plain &&= lexeme !== '<<';
      else if (lexeme !== YAML.CST.SCALAR) plain &&= !'*&!%'.includes(lexeme[0] ?? ' ');
      scalarText = lexeme === YAML.CST.SCALAR;
      for (const token of parser.next(lexeme)) tokens.push(token);
      if (++n % LEXEMES_PER_STEP === 0) yield;
    }
    for (const token of parser.end()) tokens.push(token);
    yield;
    const pieces = yield* composeInPieces(tokens, text.length, plain);
    if (pieces !== undefined) return pieces;
    // uniqueKeys is checked below: the library compares each key with every earlier one (a
    // 30,000-entry map cost it 8 s).
    const composer = new YAML.Composer({ uniqueKeys: false, merge: true });
    const docs = [...composer.compose(tokens, true, text.length)];
    yield;
    const doc = docs[0]!;
    const errors = doc.errors.map((e) => yamlIssue(e.message, e.pos[0], lines));
    if (docs.length > 1) errors.push(yamlIssue('Source contains multiple documents; please use YAML.parseAllDocuments()', docs[1]!.range[0], lines));
    if (errors.length === 0) errors.push(...duplicateKeys(doc.contents, lines));
    if (errors.length > 0) throw new TopologyError(capIssues(errors));
    yield;
    const value: unknown = doc.toJS({ maxAliasCount: MAX_ALIASES, mapAsMap: true });
    if (value === null || value === undefined) {
      throw new TopologyError([{ field: 'yaml', rule: 'required', message: 'the file is empty; a topology needs at least nodes:' }]);
    }
    return value;
  } catch (e) {
    if (e instanceof TopologyError) throw e;
    // Alias bombs (ReferenceError) end up here.
    throw new TopologyError([{ field: 'yaml', rule: 'yaml', message: `cannot read the YAML: ${(e as Error).message}` }]);
  }
}

/** Bytes of `text` in UTF-8, without encoding a copy of it. */
function utf8Length(text: string): number {
  let n = text.length;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdfff) n += 1; // a surrogate pair: 4 bytes for 2 units
    else if (c >= 0x800) n += 2;
    else if (c >= 0x80) n += 1;
  }
  return n;
}

function yamlIssue(message: string, offset: number, lines: YAML.LineCounter): Issue {
  const sentence = message.split('\n')[0]!;
  const pos = lines.linePos(offset);
  const where = pos.line > 0 ? `line ${pos.line}, column ${pos.col}: ` : '';
  return { field: 'yaml', rule: 'yaml', message: `${where}${sentence}` };
}

/** Keys repeated in one mapping, as the YAML library reports them (in document order), in one pass. */
function duplicateKeys(root: unknown, lines: YAML.LineCounter): Issue[] {
  const found: number[] = [];
  const todo: unknown[] = [root];
  while (todo.length > 0) {
    const node = todo.pop();
    if (YAML.isMap(node)) {
      const seen = new Set<unknown>();
      for (const pair of node.items) {
        const key = pair.key;
        // The library compares scalar values with ===, so NaN never repeats.
        if (YAML.isScalar(key) && !Number.isNaN(key.value)) {
          if (seen.has(key.value)) found.push(key.range?.[0] ?? 0);
          seen.add(key.value);
        }
        todo.push(pair.key, pair.value);
      }
    } else if (YAML.isSeq(node)) {
      for (const item of node.items) todo.push(item);
    }
  }
  return found.sort((a, b) => a - b).map((offset) => yamlIssue('Map keys must be unique', offset, lines));
}

/** containerlab when the document has a `topology:` key or the file is named *.clab.yml / *.clab.yaml. */
export function detectFormat(doc: unknown, fileName?: string): TopologyFormat {
  if (fileName !== undefined && /\.clab\.ya?ml$/i.test(fileName)) return 'clab';
  if (isMapping(doc) && peekMap(doc)!.has('topology')) return 'clab';
  return 'native';
}
