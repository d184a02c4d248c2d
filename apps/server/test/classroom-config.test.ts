// The config file's `classroom:` section, checked key by key, and what `nslab serve --classroom` prints.
import { describe, expect, it } from 'vitest';
import { ConfigError, validateClassroomConfig, validateConfig } from '@nslab/driver';
import { classroomOptionsOf } from '../src/classroom/classroom.ts';
import { classroomBanner } from '../src/serve.ts';

describe('classroom config section', () => {
  it('accepts the known settings and maps them to server options', () => {
    const doc = { limits: { labs: 10 }, classroom: { enabled: true, database: '/srv/nslab/c.db', sessionIdleHours: 2, sessionMaxDays: 1, joinCodeHours: 48, loginFailures: 5, signInPerMinute: 60, secureCookies: true } };
    expect(validateConfig(doc, 'c.yaml')).toEqual({ labs: 10 });
    const cfg = validateClassroomConfig(doc.classroom, 'c.yaml');
    expect(classroomOptionsOf(cfg)).toEqual({
      database: '/srv/nslab/c.db',
      session: { idleMs: 2 * 3600_000, maxMs: 24 * 3600_000 },
      joinCodeValidMs: 48 * 3600_000,
      loginThrottle: { maxFailures: 5 },
      signInPerMinute: 60,
      secureCookies: true,
    });
  });

  it.each([
    [{ enabled: 'yes' }, 'classroom.enabled', 'true or false'],
    [{ database: 'relative.db' }, 'classroom.database', 'absolute file path'],
    [{ sessionIdleHours: 0 }, 'classroom.sessionIdleHours', 'between 1 and 720'],
    [{ loginFailures: 2.5 }, 'classroom.loginFailures', 'whole number'],
    [{ secureCookies: 'maybe' }, 'classroom.secureCookies', 'auto, true or false'],
    [{ sesionIdleHours: 1 }, 'classroom.sesionIdleHours', 'unknown setting (known: enabled,'],
    [[1], 'classroom', 'must be a mapping'],
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

describe('serve --classroom banner', () => {
  it('prints no token, and how to make the first admin while there is none', () => {
    const none = classroomBanner('http://127.0.0.1:7070', '/tmp/x/classroom.db', 0);
    expect(none).toContain('http://127.0.0.1:7070/');
    expect(none).not.toContain('token');
    expect(none).toContain('nslab user add --admin NAME --database /tmp/x/classroom.db');
    expect(classroomBanner('http://127.0.0.1:7070', '/tmp/x/classroom.db', 1)).not.toContain('user add');
  });
});
