// The classroom's embedded database: one SQLite file (better-sqlite3: nothing to install or
// start), schema from migrations.ts. Synchronous on purpose: each statement is a few microseconds
// on a local file, and one writer at a time is what keeps check-then-write steps (a join code's
// use count, a username) free of races without locks of our own.
import Database from 'better-sqlite3';
import { chmodSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { dataDir } from '@nslab/driver';
import { MIGRATIONS, type Migration } from './migrations.ts';

export type Db = Database.Database;

/**
 * Where the database lives unless the config says otherwise: beside the labs' saved data
 * (/var/lib/nslab, NSLAB_DATA_DIR). Not the state dir (/run/nslab): that is a tmpfs whose records
 * die with the sandboxes at reboot, and accounts must not.
 */
export function defaultDatabasePath(): string {
  return join(dataDir(), 'classroom.db');
}

export class DatabaseVersionError extends Error {
  readonly code = 'DB_TOO_NEW';
}

export function now(): string {
  return new Date().toISOString();
}

/** Open (creating it if needed) and bring the schema up to date. */
export function openDatabase(path: string, migrations: Migration[] = MIGRATIONS): Db {
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const db = new Database(path);
  // Password hashes and session hashes: readable by the server's user only.
  if (path !== ':memory:') chmodSync(path, 0o600);
  db.pragma('journal_mode = WAL');
  db.pragma('foreign_keys = ON');
  // A CLI command (`nslab user add`) may write while the server runs: wait for its lock, briefly.
  db.pragma('busy_timeout = 5000');
  migrate(db, migrations, path);
  return db;
}

export function schemaVersion(db: Db): number {
  const row = db.prepare('SELECT MAX(version) AS v FROM schema_migrations').get() as { v: number | null };
  return row.v ?? 0;
}

export function migrate(db: Db, migrations: Migration[], path = 'the database'): void {
  db.exec('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)');
  const current = schemaVersion(db);
  const latest = migrations.reduce((m, x) => Math.max(m, x.version), 0);
  if (current > latest) {
    throw new DatabaseVersionError(`${path} has schema version ${current}, newer than this nslab knows (${latest}): run a newer nslab, or restore a backup`);
  }
  for (const m of [...migrations].sort((a, b) => a.version - b.version)) {
    if (m.version <= current) continue;
    // All of a migration or none of it: a crash half-way leaves the previous version.
    db.transaction(() => {
      db.exec(m.sql);
      db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)').run(m.version, m.name, now());
    })();
  }
}
