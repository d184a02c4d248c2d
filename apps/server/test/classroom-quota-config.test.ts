// The fair-sharing keys of the config file's `classroom:` section: per-student quotas, the idle
// stop and the grid's stuck time, read from a YAML file and checked field by field.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, validateClassroomConfig } from '@nslab/driver';
import { Classroom, classroomOptionsOf, DEFAULT_IDLE_STOP_MS } from '../src/classroom/classroom.ts';
import { DEFAULT_STUDENT_QUOTAS } from '../src/classroom/quotas.ts';

const dir = mkdtempSync(join(tmpdir(), 'nslab-quota-config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('classroom fair-sharing config', () => {
  it('a YAML file\'s quotas, idle stop and stuck time become the classroom\'s', () => {
    const file = join(dir, 'config.yaml');
    writeFileSync(file, 'classroom:\n  labsPerStudent: 3\n  namespacesPerStudent: 40\n  terminalsPerStudent: 6\n  capturesPerStudent: 2\n  idleStopMinutes: 20\n  stuckMinutes: 7\n');
    const opts = classroomOptionsOf(loadConfig(file).classroom);
    expect(opts).toEqual({ session: {}, quotas: { labs: 3, namespaces: 40, terminals: 6, captures: 2 }, idleStopMs: 20 * 60_000, stuckMinutes: 7 });
    const c = Classroom.open({ ...opts, database: ':memory:' });
    try {
      expect(c.quotaLimits).toEqual({ labs: 3, namespaces: 40, terminals: 6, captures: 2 });
      expect(c.idleStopMs).toBe(20 * 60_000);
      // Looked at four times per idle period, at most once a minute.
      expect(c.idleSweepMs).toBe(60_000);
      expect(c.stuckMinutes).toBe(7);
    } finally {
      c.close();
    }
  });

  it('unset keys keep the defaults; a partial quota keeps the others; idleStopMinutes 0 turns the stop off', () => {
    const c = Classroom.open({ ...classroomOptionsOf(validateClassroomConfig({ terminalsPerStudent: 9 }, 'c.yaml')), database: ':memory:' });
    try {
      expect(c.quotaLimits).toEqual({ ...DEFAULT_STUDENT_QUOTAS, terminals: 9 });
      expect(c.idleStopMs).toBe(DEFAULT_IDLE_STOP_MS);
    } finally {
      c.close();
    }
    expect(classroomOptionsOf(validateClassroomConfig({ idleStopMinutes: 0 }, 'c.yaml')).idleStopMs).toBe(0);
  });

  it('checkRetentionDays reaches the classroom; unset keeps every check', () => {
    expect(classroomOptionsOf(validateClassroomConfig({ checkRetentionDays: 180 }, 'c.yaml')).checkRetentionDays).toBe(180);
    const c = Classroom.open({ database: ':memory:' });
    try {
      expect(c.checkRetentionDays).toBe(0);
    } finally {
      c.close();
    }
  });

  it.each([
    [{ labsPerStudent: 0 }, 'classroom.labsPerStudent', 'between 1 and 1000'],
    [{ namespacesPerStudent: 'many' }, 'classroom.namespacesPerStudent', 'whole number'],
    [{ terminalsPerStudent: 2.5 }, 'classroom.terminalsPerStudent', 'whole number'],
    [{ capturesPerStudent: 5000 }, 'classroom.capturesPerStudent', 'between 1 and 1000'],
    [{ idleStopMinutes: -1 }, 'classroom.idleStopMinutes', 'between 0 and 10080'],
    [{ stuckMinutes: 0 }, 'classroom.stuckMinutes', 'between 1 and 1440'],
    [{ checkRetentionDays: -3 }, 'classroom.checkRetentionDays', 'between 0 and 36500'],
    [{ labPerStudent: 2 }, 'classroom.labPerStudent', 'unknown setting'],
  ])('refuses %j naming the field and the rule', (section, field, rule) => {
    try {
      validateClassroomConfig(section, 'c.yaml');
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(ConfigError);
      expect((e as ConfigError).field).toBe(field);
      expect((e as ConfigError).message).toContain(rule);
    }
  });
});
