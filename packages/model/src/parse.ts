// Topology text -> resolved Topology. YAML is parsed defensively (size cap, alias cap, unique keys)
// because topology files come from strangers: seeds, blog posts, pasted snippets.
import YAML from 'yaml';
import type { Topology } from './topology.ts';
import type { Issue, Warning } from './issue.ts';
import { TopologyError } from './issue.ts';
import { isMapping, peekMap } from './read.ts';
import { parseNative } from './native.ts';
import { parseClab } from './clab.ts';

export { parseNative } from './native.ts';
export { parseClab } from './clab.ts';
export { validateTopology, checkExecLine, INTERFACE_KINDS, MACVLAN_MODES, DEFAULT_VXLAN_PORT, MAX_VXLAN_ID } from './validate.ts';

export type TopologyFormat = 'native' | 'clab';

export interface ParsedTopology {
  topology: Topology;
  warnings: Warning[];
  format: TopologyFormat;
}

export const MAX_TOPOLOGY_BYTES = 1024 * 1024;
const MAX_ALIASES = 100;

/** Parses `text` (native or containerlab YAML); throws TopologyError carrying every issue found. */
export function parseTopology(text: string, opts: { fileName?: string; format?: TopologyFormat } = {}): ParsedTopology {
  const doc = loadYaml(text);
  const format = opts.format ?? detectFormat(doc, opts.fileName);
  return format === 'clab' ? parseClab(doc) : parseNative(doc);
}

/**
 * YAML text -> plain data with mappings as Maps (so key order survives even for keys like "10").
 * Syntax errors become issues on field `yaml` with their line and column.
 */
export function loadYaml(text: string): unknown {
  if (typeof text !== 'string') throw new TopologyError([{ field: 'yaml', rule: 'type', message: 'topology text must be a string' }]);
  const bytes = new TextEncoder().encode(text).length;
  if (bytes > MAX_TOPOLOGY_BYTES) {
    throw new TopologyError([{ field: 'yaml', rule: 'size', message: `the file is ${bytes} bytes; topologies are limited to ${MAX_TOPOLOGY_BYTES} bytes (1 MiB)` }]);
  }
  try {
    const doc = YAML.parseDocument(text, { uniqueKeys: true, merge: true, prettyErrors: true });
    if (doc.errors.length > 0) throw new TopologyError(doc.errors.map(yamlIssue));
    const value: unknown = doc.toJS({ maxAliasCount: MAX_ALIASES, mapAsMap: true });
    if (value === null || value === undefined) {
      throw new TopologyError([{ field: 'yaml', rule: 'required', message: 'the file is empty; a topology needs at least nodes:' }]);
    }
    return value;
  } catch (e) {
    if (e instanceof TopologyError) throw e;
    // Alias bombs (ReferenceError) and absurd nesting (RangeError) end up here.
    throw new TopologyError([{ field: 'yaml', rule: 'yaml', message: `cannot read the YAML: ${(e as Error).message}` }]);
  }
}

function yamlIssue(e: YAML.YAMLError): Issue {
  // prettyErrors appends " at line L, column C:" and a code excerpt; keep only the sentence.
  const sentence = e.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
  const pos = e.linePos?.[0];
  const where = pos ? `line ${pos.line}, column ${pos.col}: ` : '';
  return { field: 'yaml', rule: 'yaml', message: `${where}${sentence}` };
}

/** containerlab when the document has a `topology:` key or the file is named *.clab.yml / *.clab.yaml. */
export function detectFormat(doc: unknown, fileName?: string): TopologyFormat {
  if (fileName !== undefined && /\.clab\.ya?ml$/i.test(fileName)) return 'clab';
  if (isMapping(doc) && peekMap(doc)!.has('topology')) return 'clab';
  return 'native';
}
