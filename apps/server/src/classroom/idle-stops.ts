// Which students' labs were stopped for being idle, in the classroom database (migration 4), so a
// server restart does not turn them into ordinary saved labs: the owner's return still starts them
// again. Each row also keeps the terminals the lab had when it stopped (their shells ended with
// it), so the web app can open them again, and when it was started again, so the page can say so
// once: the owner's page takes the row (`take`) after the lab runs again.
import { now, type Db } from './db.ts';

import type { IdleStop } from '@nslab/protocol';

export type { IdleStop };
export type IdleTerminal = IdleStop['terminals'][number];

interface Row {
  lab_name: string;
  stopped_at: string;
  idle_ms: number;
  terminals: string;
  restored_at: string | null;
}

function toStop(r: Row): IdleStop {
  let terminals: IdleTerminal[] = [];
  try {
    const v = JSON.parse(r.terminals) as unknown;
    if (Array.isArray(v)) terminals = v.filter((t): t is IdleTerminal => typeof t?.node === 'string' && typeof t?.session === 'string');
  } catch {
    /* written by us; unreadable means none */
  }
  return { lab: r.lab_name, stoppedAt: r.stopped_at, idleMinutes: Math.max(1, Math.round(r.idle_ms / 60_000)), terminals, restoredAt: r.restored_at };
}

export class IdleStops {
  constructor(private readonly db: Db) {}

  /** Labs stopped while idle and not started again yet. */
  pending(): Set<string> {
    return new Set((this.db.prepare('SELECT lab_name FROM idle_stops WHERE restored_at IS NULL').all() as { lab_name: string }[]).map((r) => r.lab_name));
  }

  /** `lab` was stopped now after `idleMs` with no client; these terminals ended with it. */
  stopped(lab: string, idleMs: number, terminals: IdleTerminal[]): void {
    this.db
      .prepare('INSERT INTO idle_stops (lab_name, stopped_at, idle_ms, terminals, restored_at) VALUES (?, ?, ?, ?, NULL) ON CONFLICT (lab_name) DO UPDATE SET stopped_at = excluded.stopped_at, idle_ms = excluded.idle_ms, terminals = excluded.terminals, restored_at = NULL')
      .run(lab, now(), Math.round(idleMs), JSON.stringify(terminals));
  }

  restored(lab: string): void {
    this.db.prepare('UPDATE idle_stops SET restored_at = ? WHERE lab_name = ? AND restored_at IS NULL').run(now(), lab);
  }

  get(lab: string): IdleStop | null {
    const r = this.db.prepare('SELECT * FROM idle_stops WHERE lab_name = ?').get(lab) as Row | undefined;
    return r ? toStop(r) : null;
  }

  /** The row of a lab running again, removed (its notice is shown once); null if none or still stopped. */
  take(lab: string): IdleStop | null {
    return this.db.transaction(() => {
      const s = this.get(lab);
      if (!s || s.restoredAt === null) return null;
      this.db.prepare('DELETE FROM idle_stops WHERE lab_name = ?').run(lab);
      return s;
    })();
  }

  forget(lab: string): void {
    this.db.prepare('DELETE FROM idle_stops WHERE lab_name = ?').run(lab);
  }
}
