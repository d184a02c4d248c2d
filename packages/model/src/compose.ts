// Building a big YAML document in pieces. The YAML library composes a whole document in one call
// (~2 ms per 1,000 values, 40 ms for 500 namespaces and 2000 links), which a server cannot afford
// in one go. A document made of plain block mappings and sequences, with no anchors, aliases, tags,
// merge keys or directives, can be composed a few kilobytes at a time: each piece is the chain of
// keys leading to a batch of entries, composed as a document of its own, and the pieces are joined
// back in order. Anything else, or any doubt (an error, a repeated key), returns undefined and the
// caller composes the whole document as usual, so errors read exactly as they always did.
import YAML from 'yaml';
import type { Steps } from './steps.ts';

type BlockMap = YAML.CST.BlockMap;
type BlockSeq = YAML.CST.BlockSequence;
type MapItem = BlockMap['items'][number];
type SeqItem = BlockSeq['items'][number];

/** Bytes of source composed per piece. */
const PIECE_BYTES = 8 * 1024;
/** Levels of mappings descended into (`topology.nodes.n1` in containerlab is the third). */
const MAX_LEVELS = 3;

interface Link {
  item: MapItem;
  parent: BlockMap;
}

interface Piece {
  /** The map entries leading to the batch, outermost first. */
  chain: Link[];
  coll: BlockMap | BlockSeq;
  items: (MapItem | SeqItem)[];
}

const TRIVIA = new Set(['space', 'newline', 'comment', 'doc-start', 'byte-order-mark']);

function itemOffset(item: MapItem | SeqItem, fallback: number): number {
  return item.start[0]?.offset ?? item.key?.offset ?? item.sep?.[0]?.offset ?? item.value?.offset ?? fallback;
}

function plainKey(item: MapItem): boolean {
  return !item.explicitKey && item.key?.type === 'scalar' && item.start.every((t) => TRIVIA.has(t.type));
}

/** Splits `coll` (spanning up to `end`) into pieces of about PIECE_BYTES, descending into big entries. */
function collect(chain: Link[], coll: BlockMap | BlockSeq, end: number, out: Piece[]): void {
  let batch: (MapItem | SeqItem)[] = [];
  let batchStart = 0;
  const flush = () => {
    if (batch.length > 0) out.push({ chain, coll, items: batch });
    batch = [];
  };
  coll.items.forEach((item, k) => {
    const start = itemOffset(item, coll.offset);
    const next = coll.items[k + 1];
    const stop = next ? itemOffset(next, end) : end;
    const value = item.value;
    const big = stop - start > PIECE_BYTES && coll.type === 'block-map' && chain.length + 1 < MAX_LEVELS && plainKey(item as MapItem);
    if (big && value && (value.type === 'block-map' || value.type === 'block-seq') && value.items.length > 1) {
      flush();
      collect([...chain, { item: item as MapItem, parent: coll as BlockMap }], value, stop, out);
      return;
    }
    if (batch.length === 0) batchStart = start;
    batch.push(item);
    if (stop - batchStart >= PIECE_BYTES) flush();
  });
  flush();
}

/** The piece as a document: its chain of single-entry maps around the batch. */
function pieceDocument(p: Piece): YAML.CST.Document {
  let value: YAML.CST.Token = { ...p.coll, offset: itemOffset(p.items[0]!, p.coll.offset), items: p.items } as BlockMap | BlockSeq;
  for (let i = p.chain.length - 1; i >= 0; i--) {
    const { item, parent } = p.chain[i]!;
    value = { type: 'block-map', offset: itemOffset(item, parent.offset), indent: parent.indent, items: [{ ...item, value } as MapItem] };
  }
  return { type: 'document', offset: value.offset, start: [], value, end: [] };
}

/** The one entry of a piece's map at each chain level. */
function only(m: unknown): [unknown, unknown] | undefined {
  if (!(m instanceof Map) || m.size !== 1) return undefined;
  return m.entries().next().value as [unknown, unknown];
}

/**
 * The document's value built piece by piece (pausing between pieces), or undefined when it has to
 * be composed whole. `tokens` are the parser's; `plain` says the text has no anchors, aliases, tags,
 * merge keys or directives.
 */
export function* composeInPieces(tokens: readonly YAML.CST.Token[], textLength: number, plain: boolean): Steps<Map<unknown, unknown> | undefined> {
  const docs = tokens.filter((t) => !TRIVIA.has(t.type));
  const doc = docs[0];
  if (!plain || docs.length !== 1 || doc?.type !== 'document' || doc.value?.type !== 'block-map') return undefined;
  if (!doc.start.every((t) => TRIVIA.has(t.type)) || !(doc.end ?? []).every((t) => TRIVIA.has(t.type))) return undefined;

  const pieces: Piece[] = [];
  collect([], doc.value, textLength, pieces);
  if (pieces.length < 2) return undefined;

  const composer = new YAML.Composer({ uniqueKeys: true, merge: false });
  const root = new Map<unknown, unknown>();
  // The open container at each level, and the CST entry it came from: a later piece continues it
  // only if it comes from the same entry; another entry with the same key is a repeated key.
  const open: { item: MapItem; value: Map<unknown, unknown> | unknown[] }[] = [];
  for (const p of pieces) {
    const composed = [...composer.next(pieceDocument(p)), ...composer.end(false, textLength)];
    const d = composed[0];
    if (composed.length !== 1 || !d || d.errors.length > 0) return undefined;
    let js: unknown = d.toJS({ mapAsMap: true });
    let into: Map<unknown, unknown> = root;
    for (const [level, link] of p.chain.entries()) {
      const entry = only(js);
      if (!entry) return undefined;
      const [key, inner] = entry;
      const same = open[level]?.item === link.item;
      if (!same) {
        if (into.has(key)) return undefined;
        const fresh = p.coll.type === 'block-seq' && level === p.chain.length - 1 ? [] : new Map<unknown, unknown>();
        into.set(key, fresh);
        open.length = level;
        open.push({ item: link.item, value: fresh });
      }
      const target = open[level]!.value;
      js = inner;
      if (level < p.chain.length - 1) {
        if (!(target instanceof Map)) return undefined;
        into = target;
      } else {
        // The batch itself: entries of a mapping, or items of a sequence.
        if (Array.isArray(target) && Array.isArray(inner)) for (const x of inner) target.push(x);
        else if (target instanceof Map && inner instanceof Map) {
          for (const [k, v] of inner) {
            if (target.has(k)) return undefined;
            target.set(k, v);
          }
        } else return undefined;
      }
    }
    if (p.chain.length === 0) {
      // Whole top-level entries.
      if (!(js instanceof Map)) return undefined;
      for (const [k, v] of js) {
        if (root.has(k)) return undefined;
        root.set(k, v);
      }
      open.length = 0;
    }
    yield;
  }
  return root;
}
