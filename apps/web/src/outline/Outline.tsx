// The lab as a real DOM tree beside the canvas: every namespace, bridge and veth pair, filterable,
// walkable with the arrow keys; selecting an item selects and centres it on the graph. This is how
// a screen reader (or a test) sees the topology.
import { memo, useMemo, useRef, useState, type KeyboardEvent, type RefObject } from 'react';
import type { ObservedLab } from '@nslab/model';
import { bridgeId, ifaceState, linkState, vethId } from '../graph/elements.ts';
import { displayName } from '../names.ts';
import { findIface } from '../selection.ts';

export interface OutlineItem {
  id: string;
  group: 'nodes' | 'bridges' | 'links';
  label: string;
  /** Searchable text (names and addresses). */
  text: string;
  hint?: string;
  state?: string;
}

const natural = new Intl.Collator(undefined, { numeric: true, sensitivity: 'base' });
const byLabel = (a: OutlineItem, b: OutlineItem) => natural.compare(a.label, b.label);

/** Pure: the outline's items, in display order (lab host first, then names as people sort them: ns2 before ns10). */
export function outlineItems(lab: ObservedLab): OutlineItem[] {
  const out: OutlineItem[] = [];
  for (const n of lab.nodes) {
    const lo = n.interfaces.find((i) => i.kind === 'loopback');
    const addrs = n.interfaces.flatMap((i) => i.addresses).filter((a) => !a.startsWith('127.') && !a.startsWith('::1') && !a.startsWith('fe80:'));
    const label = n.kind === 'host' ? 'lab host' : displayName(n.name);
    out.push({
      id: n.name,
      group: 'nodes',
      label: n.unsafeName ? `⚠ ${label}` : label,
      text: `${n.name} ${addrs.join(' ')}`.toLowerCase(),
      ...(lo && !lo.up ? { hint: 'lo down' } : {}),
    });
  }
  out.sort((a, b) => (a.id === 'host' ? -1 : b.id === 'host' ? 1 : byLabel(a, b)));
  const bridges: OutlineItem[] = [];
  for (const b of lab.bridges) {
    const i = findIface(lab, b.node, b.name);
    bridges.push({
      id: bridgeId(b.node, b.name),
      group: 'bridges',
      label: displayName(b.name),
      text: b.name.toLowerCase(),
      hint: `${b.ports.length} port${b.ports.length === 1 ? '' : 's'}${b.node === 'host' ? '' : ` · in ${b.node}`}`,
      state: i ? ifaceState(i) : 'down',
    });
  }
  const links: OutlineItem[] = [];
  for (const l of lab.links) {
    const ia = findIface(lab, l.a.node, l.a.interface);
    const ib = findIface(lab, l.b.node, l.b.interface);
    const end = (e: { node: string; interface: string }) => `${e.node === 'host' ? 'host' : e.node}:${displayName(e.interface)}`;
    links.push({
      id: vethId(l.a, l.b),
      group: 'links',
      label: `${end(l.a)} ↔ ${end(l.b)}`,
      text: `${l.a.node}:${l.a.interface} ${l.b.node}:${l.b.interface} ${[...(ia?.addresses ?? []), ...(ib?.addresses ?? [])].join(' ')}`.toLowerCase(),
      state: linkState(ia, ib),
    });
  }
  return [...out, ...bridges.sort(byLabel), ...links.sort(byLabel)];
}

const GROUPS: { key: OutlineItem['group']; title: string }[] = [
  { key: 'nodes', title: 'Namespaces' },
  { key: 'bridges', title: 'Bridges' },
  { key: 'links', title: 'veth pairs' },
];

/**
 * Rows drawn per section until the learner asks for all: a 300-namespace lab's 600 rows cost more
 * than drawing its graph. Search filters every item, drawn or not; the selected one is always drawn.
 */
export const SECTION_ROWS = 50;

/** Pure: the rows a section draws. */
export function sectionRows(list: readonly OutlineItem[], expanded: boolean, keep: string | null | undefined): OutlineItem[] {
  if (expanded || list.length <= SECTION_ROWS) return [...list];
  const head = list.slice(0, SECTION_ROWS);
  const kept = keep ? list.find((i) => i.id === keep) : undefined;
  return kept && !head.includes(kept) ? [...head, kept] : head;
}

const STATE_TEXT: Record<string, string> = { up: 'up', down: 'down', 'no-carrier': 'no carrier' };

interface Props {
  lab: ObservedLab | null;
  selection: string | null;
  search: string;
  onSearch(q: string): void;
  onSelect(id: string): void;
  searchRef: RefObject<HTMLInputElement | null>;
  /** Namespaces where a down lo matters now: their "lo down" is a warning, elsewhere a quiet note. */
  loopbackMatters?: ReadonlySet<string>;
}

export const Outline = memo(function Outline({ lab, selection, search, onSearch, onSelect, searchRef, loopbackMatters }: Props) {
  const all = useMemo(() => (lab ? outlineItems(lab) : []), [lab]);
  const q = search.trim().toLowerCase();
  const items = useMemo(() => (q ? all.filter((i) => i.text.includes(q) || i.label.toLowerCase().includes(q)) : all), [all, q]);
  const [focusId, setFocusId] = useState<string | null>(null);
  const [expanded, setExpanded] = useState<ReadonlySet<OutlineItem['group']>>(new Set());
  const listRef = useRef<HTMLUListElement>(null);
  const sections = useMemo(
    () => GROUPS.map((g) => {
      const list = items.filter((i) => i.group === g.key);
      return { ...g, total: list.length, rows: sectionRows(list, expanded.has(g.key), selection) };
    }),
    [items, expanded, selection],
  );
  // The keys walk what is drawn.
  const drawn = useMemo(() => sections.flatMap((s) => s.rows), [sections]);
  // One tab stop for the whole tree (roving tabindex): the focused, else selected, else first item.
  const current = drawn.find((i) => i.id === focusId)?.id ?? drawn.find((i) => i.id === selection)?.id ?? drawn[0]?.id;

  const moveTo = (id: string | undefined) => {
    if (!id) return;
    setFocusId(id);
    const el = listRef.current?.querySelector<HTMLElement>(`[data-id="${CSS.escape(id)}"]`);
    el?.focus();
  };
  const onKey = (e: KeyboardEvent<HTMLUListElement>) => {
    const idx = drawn.findIndex((i) => i.id === current);
    if (e.key === 'ArrowDown') moveTo(drawn[Math.min(drawn.length - 1, idx + 1)]?.id);
    else if (e.key === 'ArrowUp') moveTo(drawn[Math.max(0, idx - 1)]?.id);
    else if (e.key === 'Home') moveTo(drawn[0]?.id);
    else if (e.key === 'End') moveTo(drawn.at(-1)?.id);
    else if ((e.key === 'Enter' || e.key === ' ') && current) onSelect(current);
    else return;
    e.preventDefault();
  };

  return (
    <nav className="outline" aria-label="Lab outline">
      <div className="outline-search">
        <label htmlFor="outline-search" className="sr-only">
          Find by name or address
        </label>
        <input
          id="outline-search"
          ref={searchRef}
          type="search"
          placeholder="Find (/)"
          value={search}
          onChange={(e) => onSearch(e.target.value)}
          onKeyDown={(e) => {
            if (e.key === 'Enter' && items[0]) {
              e.preventDefault();
              onSelect(items[0].id);
            } else if (e.key === 'ArrowDown' && items[0]) {
              e.preventDefault();
              moveTo(items[0].id);
            } else if (e.key === 'Escape') onSearch('');
          }}
        />
      </div>
      <ul className="tree" role="tree" aria-label="Namespaces, bridges and veth pairs" ref={listRef} onKeyDown={onKey}>
        {sections.map((g) => {
          const list = g.rows;
          return (
            <li key={g.key} role="none" className="tree-group">
              <div className="tree-title" id={`outline-${g.key}`}>
                {g.title} <span className="count">{g.total}</span>
              </div>
              <ul role="group" aria-labelledby={`outline-${g.key}`}>
                {list.map((i) => (
                  <li
                    key={i.id}
                    role="treeitem"
                    data-id={i.id}
                    aria-selected={i.id === selection}
                    tabIndex={i.id === current ? 0 : -1}
                    className={i.id === selection ? 'selected' : undefined}
                    onClick={() => {
                      setFocusId(i.id);
                      onSelect(i.id);
                    }}
                    onFocus={() => setFocusId(i.id)}
                  >
                    {i.state && <span className={`dot state-${i.state}`} aria-hidden />}
                    <span className="item-label">{i.label}</span>
                    {i.state && <span className="sr-only">, {STATE_TEXT[i.state]}</span>}
                    {i.hint && <span className={`hint${i.hint === 'lo down' && loopbackMatters?.has(i.id) ? ' warn' : ''}`}>{i.hint}</span>}
                  </li>
                ))}
                {list.length === 0 && <li role="none" className="muted empty">{q ? 'no match' : 'none'}</li>}
                {g.total > list.length && (
                  <li role="none" className="tree-more">
                    <button type="button" className="link" onClick={() => setExpanded((x) => new Set(x).add(g.key))}>
                      Show all {g.total} {g.title.toLowerCase()}
                    </button>{' '}
                    <span className="muted">or type in Find</span>
                  </li>
                )}
              </ul>
            </li>
          );
        })}
      </ul>
    </nav>
  );
});
