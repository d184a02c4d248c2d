// Event-driven change detection for one lab: netlink events from every namespace of the sandbox
// (`ip monitor all-nsid`, seen from the lab host) and `ip netns monitor` (inotify on /run/netns,
// run inside the sandbox: the directory is the lab's, never watched by the server) for namespaces
// coming and going. Reports *which* namespaces changed; reading them is observe.ts's job.
import { HOST } from '@nslab/model';
import type { Sandbox } from './sandbox.ts';
import { listNamespaces } from './observe.ts';
import { run, spawnLines, type StreamHandle } from './run.ts';

export interface DirtySet {
  /** Namespaces (or HOST) whose state changed. */
  nodes: Set<string>;
  /** Namespaces were added or removed: re-list them. */
  namespaces: boolean;
  /** An event came from a namespace we could not name yet: re-read everything. */
  all: boolean;
}

export interface LabWatcher {
  close(): void;
  /** Resolves once the monitor runs and nsids are assigned: changes after this are seen. */
  ready: Promise<void>;
}

const PREFIX = /^\[nsid (current|\d+)\]/;

/** `onEnd` runs when the monitor stops without close() (the sandbox was destroyed from elsewhere). */
export function watchLab(sb: Sandbox, onDirty: (d: DirtySet) => void, onEnd?: () => void): LabWatcher {
  let closed = false;
  let monitor: StreamHandle | undefined;
  let dirWatch: StreamHandle | undefined;
  const nsidNames = new Map<number, string>();

  const emit = (d: Partial<DirtySet>) => {
    if (closed) return;
    onDirty({ nodes: d.nodes ?? new Set(), namespaces: d.namespaces ?? false, all: d.all ?? false });
  };

  // `ip monitor all-nsid` only reports namespaces that have an nsid in the lab host: give every
  // (safely named) namespace one, then learn the id -> name map.
  const refreshIds = async () => {
    const names = (await listNamespaces(sb)).filter((n) => !n.unsafe);
    const listed = await run(sb.enter(['ip', '-j', 'netns', 'list']), { timeoutMs: 10_000 });
    const ids = new Map<string, number>();
    try {
      for (const e of JSON.parse(listed.stdout || '[]') as { name: string; id?: number }[]) {
        if (typeof e.id === 'number') ids.set(e.name, e.id);
      }
    } catch {
      /* a hand-made name broke the listing; fall back to assigning all */
    }
    const missing = names.filter((n) => !ids.has(n.name));
    if (missing.length) {
      const input = missing.map((n) => `netns set ${n.name} auto`).join('\n') + '\n';
      await run(sb.enter(['ip', '-force', '-batch', '-']), { input, timeoutMs: 30_000 });
      const again = await run(sb.enter(['ip', '-j', 'netns', 'list']), { timeoutMs: 10_000 });
      try {
        for (const e of JSON.parse(again.stdout || '[]') as { name: string; id?: number }[]) {
          if (typeof e.id === 'number') ids.set(e.name, e.id);
        }
      } catch {
        /* see above */
      }
    }
    nsidNames.clear();
    for (const [name, id] of ids) nsidNames.set(id, name);
  };

  let refreshing: Promise<void> | null = null;
  const refreshSoon = () => {
    refreshing ??= refreshIds().finally(() => {
      refreshing = null;
    });
    return refreshing;
  };

  const onLine = (line: string) => {
    const m = PREFIX.exec(line);
    if (!m) return; // continuation line of a multi-line event
    // A fresh namespace churns IPv6 multicast neighbour entries (NOARP) for a minute; `ip neigh show`
    // never lists them, so re-reading for them only delays real changes.
    if (line.includes(' NOARP')) return;
    if (m[1] === 'current') {
      emit({ nodes: new Set([HOST]) });
      return;
    }
    const name = nsidNames.get(Number(m[1]));
    if (name) emit({ nodes: new Set([name]) });
    else {
      emit({ all: true });
      void refreshSoon();
    }
  };

  const ready = (async () => {
    monitor = spawnLines(sb.enter(['ip', 'monitor', 'all-nsid']), onLine);
    void monitor.exited.then(() => {
      if (!closed) onEnd?.();
    });
    // stdbuf: ip prints these with stdio and never flushes; a pipe would hold them back.
    dirWatch = spawnLines(sb.enter(['stdbuf', '-oL', 'ip', 'netns', 'monitor']), () => {
      emit({ namespaces: true });
      void refreshSoon();
    });
    await refreshSoon();
    // ip subscribes to netlink right after exec; the id refresh above (two process runs) usually
    // covers that, this margin makes "ready" mean ready on a loaded machine too.
    await new Promise((r) => setTimeout(r, 30));
    if (closed) {
      monitor.kill();
      dirWatch.kill();
    }
  })();

  return {
    ready,
    close() {
      closed = true;
      monitor?.kill();
      dirWatch?.kill();
    },
  };
}
