import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { closeTerminal, getLabTerminals, openTerminal, restoreTerminals, updateTerminal } from '../src/terminal/terminal-store.ts';

class MemoryStorage {
  data = new Map<string, string>();
  getItem(k: string) {
    return this.data.get(k) ?? null;
  }
  setItem(k: string, v: string) {
    this.data.set(k, v);
  }
  removeItem(k: string) {
    this.data.delete(k);
  }
}

let store: MemoryStorage;
beforeEach(() => {
  store = new MemoryStorage();
  (globalThis as { sessionStorage?: unknown }).sessionStorage = store;
});
afterEach(() => {
  delete (globalThis as { sessionStorage?: unknown }).sessionStorage;
});

describe('terminal tabs across a page reload', () => {
  it('remembers live tabs with a session, forgets exited and closed ones', () => {
    openTerminal('lab-a', 'ns1');
    openTerminal('lab-a', 'ns2');
    openTerminal('lab-a', 'ns3');
    const [t1, t2, t3] = getLabTerminals('lab-a').terminals;
    expect(store.getItem('nslab.terminals.lab-a')).toBeNull(); // no session yet: nothing to re-attach to
    updateTerminal(t1!.id, { session: 's1', status: 'open' });
    updateTerminal(t2!.id, { session: 's2', status: 'open' });
    updateTerminal(t3!.id, { session: 's3', status: 'exited', exitReason: 'exited' });
    expect(JSON.parse(store.getItem('nslab.terminals.lab-a')!)).toEqual([
      { node: 'ns1', title: 'ns1', session: 's1' },
      { node: 'ns2', title: 'ns2', session: 's2' },
    ]);
    closeTerminal(t1!.id);
    expect(JSON.parse(store.getItem('nslab.terminals.lab-a')!).map((t: { session: string }) => t.session)).toEqual(['s2']);
    closeTerminal(t2!.id);
    expect(store.getItem('nslab.terminals.lab-a')).toBeNull();
  });

  it('restores saved tabs once, re-attaching by session, and ignores junk', () => {
    store.setItem('nslab.terminals.lab-b', JSON.stringify([{ node: 'ns1', title: 'ns1', session: 'abc' }, { node: 5 }, 'x']));
    restoreTerminals('lab-b');
    const s = getLabTerminals('lab-b');
    expect(s.terminals.map((t) => [t.node, t.session, t.status])).toEqual([['ns1', 'abc', 'connecting']]);
    expect(s.active).toBe(s.terminals[0]!.id);
    restoreTerminals('lab-b'); // a second call (the dock after the lab screen) adds nothing
    expect(getLabTerminals('lab-b').terminals).toHaveLength(1);
    store.setItem('nslab.terminals.lab-c', '{not json');
    restoreTerminals('lab-c');
    expect(getLabTerminals('lab-c').terminals).toHaveLength(0);
  });
});
