// The classroom's state in one object: its database and what reads and writes it. `nslab serve
// --classroom` makes one for the server; `nslab user ...` makes one to add accounts from the shell.
import type { ClassroomConfig, OidcConfig } from '@nslab/driver';
import { Accounts } from './accounts.ts';
import { Assignments } from './assignments.ts';
import { DEFAULT_STUCK_MINUTES, GridBuilder } from './grid.ts';
import { Progress } from './progress.ts';
import { Classes } from './classes.ts';
import { defaultDatabasePath, openDatabase, type Db } from './db.ts';
import { DEFAULT_THROTTLE, LoginThrottle, type ThrottleOptions } from './login-throttle.ts';
import { IdleStops } from './idle-stops.ts';
import { LabOwners } from './ownership.ts';
import { TerminalOwners } from './terminal-owners.ts';
import { UploadedLabs } from './uploads.ts';
import { OidcLogin } from './oidc.ts';
import { DEFAULT_STUDENT_QUOTAS, type StudentQuotaLimits } from './quotas.ts';
import { DEFAULT_SESSION, Sessions, type SessionOptions } from './sessions.ts';

export interface ClassroomOptions {
  /** The SQLite file (default: classroom.db in nslab's data dir, /var/lib/nslab), or ':memory:'. */
  database?: string;
  session?: Partial<SessionOptions>;
  /** How long a new join code works unless its instructor says otherwise. */
  joinCodeValidMs?: number;
  /** Failed sign-ins allowed per account in a window. */
  loginThrottle?: Partial<ThrottleOptions>;
  /** Sign-in and join requests per client address per minute. */
  signInPerMinute?: number;
  /** The session cookie's Secure flag: 'auto' sets it on requests that came over https. */
  secureCookies?: 'auto' | boolean;
  /** Sign-in through an OpenID Connect provider (the config's classroom.oidc, validated). */
  oidc?: OidcConfig;
  /** A grid cell is "stuck" when the same check has failed this long (a grid request may ask otherwise). */
  stuckMinutes?: number;
  /** How often an open live grid looks for cells turning stuck with no new check. */
  gridRefreshMs?: number;
  /** Per-student quotas over their running labs (quotas.ts); unset ones keep DEFAULT_STUDENT_QUOTAS. */
  quotas?: Partial<StudentQuotaLimits>;
  /** A student's lab with no client and no request this long is stopped (saved) and restored on return; 0 = never. */
  idleStopMs?: number;
  /** How often labs are looked at for idleness (default: a quarter of idleStopMs, at most a minute). */
  idleSweepMs?: number;
  /** Recorded checks older than this many days are deleted (closed assignments' and labs outside assignments); 0 or unset: kept. */
  checkRetentionDays?: number;
  /** How often expired sessions are purged and old checks pruned (default: hourly). */
  housekeepingMs?: number;
}

/** The config file's `classroom` section (validated by @nslab/driver's loadConfig) as options. */
export function classroomOptionsOf(cfg: ClassroomConfig): ClassroomOptions {
  const quotas: Partial<StudentQuotaLimits> = {
    ...(cfg.labsPerStudent !== undefined ? { labs: cfg.labsPerStudent } : {}),
    ...(cfg.namespacesPerStudent !== undefined ? { namespaces: cfg.namespacesPerStudent } : {}),
    ...(cfg.terminalsPerStudent !== undefined ? { terminals: cfg.terminalsPerStudent } : {}),
    ...(cfg.capturesPerStudent !== undefined ? { captures: cfg.capturesPerStudent } : {}),
  };
  return {
    ...(cfg.database !== undefined ? { database: cfg.database } : {}),
    session: {
      ...(cfg.sessionIdleHours !== undefined ? { idleMs: cfg.sessionIdleHours * 3600_000 } : {}),
      ...(cfg.sessionMaxDays !== undefined ? { maxMs: cfg.sessionMaxDays * 24 * 3600_000 } : {}),
    },
    ...(cfg.joinCodeHours !== undefined ? { joinCodeValidMs: cfg.joinCodeHours * 3600_000 } : {}),
    ...(cfg.loginFailures !== undefined ? { loginThrottle: { maxFailures: cfg.loginFailures } } : {}),
    ...(cfg.signInPerMinute !== undefined ? { signInPerMinute: cfg.signInPerMinute } : {}),
    ...(cfg.secureCookies !== undefined ? { secureCookies: cfg.secureCookies } : {}),
    ...(cfg.oidc !== undefined ? { oidc: cfg.oidc } : {}),
    ...(cfg.stuckMinutes !== undefined ? { stuckMinutes: cfg.stuckMinutes } : {}),
    ...(Object.keys(quotas).length ? { quotas } : {}),
    ...(cfg.idleStopMinutes !== undefined ? { idleStopMs: cfg.idleStopMinutes * 60_000 } : {}),
    ...(cfg.checkRetentionDays !== undefined ? { checkRetentionDays: cfg.checkRetentionDays } : {}),
  };
}

/** A student's lab is stopped after this long with no client unless the config says otherwise. */
export const DEFAULT_IDLE_STOP_MS = 60 * 60_000;

export const DEFAULT_JOIN_CODE_VALID_MS = 7 * 24 * 3600_000;
export const DEFAULT_SIGN_IN_PER_MINUTE = 30;

export class Classroom {
  readonly accounts: Accounts;
  readonly sessions: Sessions;
  readonly classes: Classes;
  readonly owners: LabOwners;
  readonly idleStops: IdleStops;
  readonly terminalOwners: TerminalOwners;
  readonly assignments: Assignments;
  readonly uploads: UploadedLabs;
  readonly progress: Progress;
  readonly grids: GridBuilder;
  readonly stuckMinutes: number;
  readonly gridRefreshMs: number;
  readonly quotaLimits: StudentQuotaLimits;
  readonly idleStopMs: number;
  readonly idleSweepMs: number;
  readonly checkRetentionDays: number;
  readonly housekeepingMs: number;
  private housekeepingTimer: NodeJS.Timeout | undefined;
  readonly throttle: LoginThrottle;
  readonly session: SessionOptions;
  readonly joinCodeValidMs: number;
  readonly signInPerMinute: number;
  readonly secureCookies: 'auto' | boolean;
  /** OpenID Connect sign-in, when configured. */
  readonly oidc: OidcLogin | null;
  readonly path: string;

  constructor(
    readonly db: Db,
    opts: ClassroomOptions,
  ) {
    this.path = opts.database ?? defaultDatabasePath();
    this.session = { ...DEFAULT_SESSION, ...opts.session };
    this.accounts = new Accounts(db);
    this.sessions = new Sessions(db, this.session);
    this.classes = new Classes(db);
    this.owners = new LabOwners(db);
    this.idleStops = new IdleStops(db);
    this.terminalOwners = new TerminalOwners(db, this.owners);
    this.assignments = new Assignments(db);
    this.uploads = new UploadedLabs(db);
    this.progress = new Progress(db);
    this.grids = new GridBuilder(this.assignments, this.progress, this.classes);
    this.stuckMinutes = opts.stuckMinutes ?? DEFAULT_STUCK_MINUTES;
    this.gridRefreshMs = opts.gridRefreshMs ?? 5000;
    this.quotaLimits = { ...DEFAULT_STUDENT_QUOTAS, ...opts.quotas };
    this.idleStopMs = opts.idleStopMs ?? DEFAULT_IDLE_STOP_MS;
    this.idleSweepMs = opts.idleSweepMs ?? Math.max(1000, Math.min(60_000, Math.round(this.idleStopMs / 4)));
    this.checkRetentionDays = opts.checkRetentionDays ?? 0;
    this.housekeepingMs = opts.housekeepingMs ?? 3600_000;
    this.throttle = new LoginThrottle({ ...DEFAULT_THROTTLE, ...opts.loginThrottle });
    this.joinCodeValidMs = opts.joinCodeValidMs ?? DEFAULT_JOIN_CODE_VALID_MS;
    this.signInPerMinute = opts.signInPerMinute ?? DEFAULT_SIGN_IN_PER_MINUTE;
    this.secureCookies = opts.secureCookies ?? 'auto';
    this.oidc = opts.oidc ? new OidcLogin(opts.oidc) : null;
  }

  static defaultPath(): string {
    return defaultDatabasePath();
  }

  static open(opts: ClassroomOptions = {}): Classroom {
    return new Classroom(openDatabase(opts.database ?? defaultDatabasePath()), opts);
  }

  /**
   * What a running server does now and then (not the CLI's short-lived classroom): expired and idle
   * sessions purged, checks past the retention pruned. Returns what was removed.
   */
  housekeep(at = Date.now()): { sessions: number; checks: number } {
    const sessions = this.sessions.purgeExpired(at);
    const checks = this.checkRetentionDays > 0 ? this.progress.prune(new Date(at - this.checkRetentionDays * 24 * 3600_000).toISOString()) : 0;
    return { sessions, checks };
  }

  /**
   * Housekeeping at startup and every housekeepingMs until close. `liveTerminals` (the server's
   * shells now) lets the later runs forget the owners of shells that ended; never the first run,
   * which comes before a restart adopts its shells.
   */
  startHousekeeping(notice?: (line: string) => void, isLiveTerminal?: (sessionId: string) => boolean): void {
    if (this.housekeepingTimer) return;
    let first = true;
    const run = () => {
      try {
        if (this.db.open) this.housekeep();
        if (this.db.open && isLiveTerminal && !first) this.terminalOwners.keepOnly(isLiveTerminal);
        first = false;
      } catch (e) {
        notice?.(`nslab: classroom housekeeping failed: ${(e as Error).message}\n`);
      }
    };
    run();
    this.housekeepingTimer = setInterval(run, this.housekeepingMs);
    this.housekeepingTimer.unref();
  }

  close(): void {
    clearInterval(this.housekeepingTimer);
    if (this.db.open) this.db.close();
  }
}
