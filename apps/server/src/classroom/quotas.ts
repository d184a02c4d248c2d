// Per-student quotas (classroom mode), on top of the per-lab limits: how many labs a student may
// have running, how many namespaces over all of them, how many terminals and captures open at once
// over all of them. A class shares one machine; these keep one student from taking it all. They
// count for the lab's owner when that owner is a student (instructors and admins are not held),
// and every check runs synchronously where the per-lab cap is taken, so racing requests cannot
// all pass. The kernel still holds each lab to its own limits; a namespace made by hand in a
// terminal counts at the next check (the API cannot refuse what a shell does). A class may set its
// own values (class_quotas): a student is held to the largest their classes give, key by key, the
// server's where a class says nothing (a student in two classes is not held to the stricter).
import { labStore, listLabs } from '@nslab/driver';
import { parseTopology, type Topology } from '@nslab/model';
import { ApiError } from '../errors.ts';
import type { LabRegistry } from '../registry.ts';
import type { TerminalManager } from '../terminals.ts';
import type { CaptureManager } from '../captures.ts';
import type { Db } from './db.ts';

export interface StudentQuotaLimits {
  labs: number;
  namespaces: number;
  terminals: number;
  captures: number;
}

export const DEFAULT_STUDENT_QUOTAS: StudentQuotaLimits = { labs: 5, namespaces: 100, terminals: 20, captures: 4 };

/** The prefix every lab made in classroom mode carries (ownership.ts labPrefix). */
const PREFIX = /^u(\d+)-/;

export class StudentQuotas {
  constructor(
    private readonly db: Db,
    readonly limits: StudentQuotaLimits,
    private readonly registry: LabRegistry,
    private readonly terminals: TerminalManager,
    private readonly captures: CaptureManager,
  ) {}

  /**
   * The student who owns `lab`, or null (an instructor's, an admin's, nobody's). A lab being made
   * is not in the labs table yet: its kernel name's prefix is its maker's (tenancy.newLabName).
   */
  studentOf(lab: string): number | null {
    const row = this.db.prepare("SELECT l.owner_id AS id, u.role FROM labs l JOIN users u ON u.id = l.owner_id WHERE l.name = ?").get(lab) as { id: number; role: string } | undefined;
    if (row) return row.role === 'student' ? row.id : null;
    const m = PREFIX.exec(lab);
    if (!m) return null;
    const u = this.db.prepare('SELECT id, role FROM users WHERE id = ?').get(Number(m[1])) as { id: number; role: string } | undefined;
    return u?.role === 'student' ? u.id : null;
  }

  /** The quotas `studentId` is held to: per key, the largest of their classes' values, else the server's. */
  limitsFor(studentId: number): StudentQuotaLimits {
    const r = this.db
      .prepare("SELECT MAX(q.labs) AS labs, MAX(q.namespaces) AS namespaces, MAX(q.terminals) AS terminals, MAX(q.captures) AS captures FROM class_quotas q JOIN class_members m ON m.class_id = q.class_id WHERE m.user_id = ? AND m.role = 'student'")
      .get(studentId) as Partial<Record<keyof StudentQuotaLimits, number | null>> | undefined;
    return {
      labs: r?.labs ?? this.limits.labs,
      namespaces: r?.namespaces ?? this.limits.namespaces,
      terminals: r?.terminals ?? this.limits.terminals,
      captures: r?.captures ?? this.limits.captures,
    };
  }

  /** The student's labs running here or being deployed (recorded ones, and new ones by their prefix). */
  runningLabsOf(studentId: number): string[] {
    const owned = new Set((this.db.prepare('SELECT name FROM labs WHERE owner_id = ?').all(studentId) as { name: string }[]).map((r) => r.name));
    const running = new Set([...listLabs().map((s) => s.name), ...this.registry.deploying]);
    return [...running].filter((n) => owned.has(n) || (PREFIX.exec(n)?.[1] === String(studentId) && !this.recorded(n)));
  }

  private recorded(lab: string): boolean {
    return this.db.prepare('SELECT 1 FROM labs WHERE name = ?').get(lab) !== undefined;
  }

  /** Namespaces of a running lab: its live state when the server watches it, else its saved topology. */
  private namespacesIn(lab: string): number {
    const live = this.registry.peek(lab);
    if (live) return live.state.nodes.filter((n) => n.kind === 'netns').length;
    const yaml = labStore.loadTopology(lab);
    if (yaml === null) return 0;
    try {
      return parseTopology(yaml).topology.nodes.filter((n) => n.kind === 'netns').length;
    } catch {
      return 0;
    }
  }

  /** Before `lab` is deployed with `topology` (a new lab, a saved one started, a reset). */
  checkDeploy(lab: string, topology: Topology): void {
    const student = this.studentOf(lab);
    if (student === null) return;
    const others = this.runningLabsOf(student).filter((n) => n !== lab);
    const max = this.limitsFor(student).labs;
    if (others.length >= max) {
      throw new ApiError(
        429,
        'QUOTA_LABS',
        `student quota: at most ${max} running labs per student (you have ${others.length}: ${others.map(display).join(', ')}); stop one (its topology is kept) or destroy one first`,
      );
    }
    const adding = topology.nodes.filter((n) => n.kind === 'netns').length;
    this.checkNamespaces(student, others, adding);
  }

  /** Before an edit adds `adding` namespaces to the running lab `lab`. */
  checkGrowth(lab: string, adding: number): void {
    const student = this.studentOf(lab);
    if (student === null) return;
    this.checkNamespaces(student, this.runningLabsOf(student), adding);
  }

  private checkNamespaces(student: number, labs: string[], adding: number): void {
    const have = labs.reduce((a, n) => a + this.namespacesIn(n), 0);
    const max = this.limitsFor(student).namespaces;
    if (have + adding > max) {
      throw new ApiError(
        403,
        'QUOTA_NAMESPACES',
        `student quota: at most ${max} namespaces over all of a student's running labs (you have ${have}, this would add ${adding}); delete namespaces, or stop or destroy a lab first`,
        'nodes',
      );
    }
  }

  /** Before a new terminal (not a reattach) opens in `lab`. */
  checkTerminal(lab: string): void {
    const student = this.studentOf(lab);
    if (student === null) return;
    const open = this.runningLabsOf(student).reduce((a, n) => a + this.terminals.count(n), 0);
    const max = this.limitsFor(student).terminals;
    if (open >= max) {
      throw new ApiError(429, 'QUOTA_TERMINALS', `student quota: at most ${max} terminals open at once over all of a student's labs (you have ${open}); close a terminal (exit its shell or its tab's × button) first`);
    }
  }

  /** Before a capture starts in `lab`. */
  checkCapture(lab: string): void {
    const student = this.studentOf(lab);
    if (student === null) return;
    const running = this.runningLabsOf(student).reduce((a, n) => a + this.captures.busy(n), 0);
    const max = this.limitsFor(student).captures;
    if (running >= max) {
      throw new ApiError(429, 'QUOTA_CAPTURES', `student quota: at most ${max} packet captures running at once over all of a student's labs (you have ${running}); stop one first`);
    }
  }
}

/** A kernel name as its owner typed it. */
function display(lab: string): string {
  return lab.replace(PREFIX, '');
}
