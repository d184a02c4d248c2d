// A classroom-mode server on a fresh temporary database, and the people the tests act as.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { buildApp, type NslabApp } from '../src/app.ts';
import { Classroom, type ClassroomOptions } from '../src/classroom/classroom.ts';
import type { Limits } from '../src/limits.ts';

export const HOST = '127.0.0.1:7070';
/** What a browser on our own page sends with a change or a WebSocket. */
export const SAME_ORIGIN = { host: HOST, origin: `http://${HOST}` };

export interface ClassroomServer {
  s: NslabApp;
  classroom: Classroom;
  close(): Promise<void>;
}

export async function classroomServer(opts: Partial<ClassroomOptions> = {}, limits: Partial<Limits> = {}): Promise<ClassroomServer> {
  const dir = mkdtempSync(join(tmpdir(), 'nslab-classroom-'));
  const classroom = Classroom.open({ database: join(dir, 'classroom.db'), ...opts });
  const s = await buildApp({ classroom, limits });
  return {
    s,
    classroom,
    close: async () => {
      await s.app.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The session cookie's `name=value` from a sign-in answer. */
export function cookieOf(res: { headers: Record<string, unknown> }): string {
  const set = res.headers['set-cookie'];
  const line = (Array.isArray(set) ? set[0] : set) as string | undefined;
  if (!line) throw new Error('no set-cookie in the answer');
  return line.split(';')[0]!;
}

export async function login(app: FastifyInstance, username: string, password: string): Promise<string> {
  const r = await app.inject({ method: 'POST', url: '/api/v1/auth/login', headers: SAME_ORIGIN, payload: { username, password } });
  if (r.statusCode !== 200) throw new Error(`login ${username}: ${r.statusCode} ${r.body}`);
  return cookieOf(r);
}

export const PASSWORD = 'correct horse battery';

export type Who = 'anonymous' | 'otherStudent' | 'sameStudent' | 'otherInstructor' | 'instructor' | 'admin';
export const EVERYONE: Who[] = ['anonymous', 'otherStudent', 'sameStudent', 'otherInstructor', 'instructor', 'admin'];

export interface Cast {
  /** Cookie header of each person ('' for anonymous). */
  cookie: Record<Who, string>;
  ids: Record<Exclude<Who, 'anonymous'>, number>;
  /** sameStudent's class (taught by instructor) and otherStudent's (taught by otherInstructor). */
  classId: number;
  otherClassId: number;
}

/** admin; instructor teaches class A with sameStudent; otherInstructor teaches class B with otherStudent. */
export async function cast(c: ClassroomServer): Promise<Cast> {
  const a = c.classroom.accounts;
  const make = async (username: string, role: 'admin' | 'instructor' | 'student') => (await a.create({ username, role, password: PASSWORD })).user;
  const admin = await make('root-admin', 'admin');
  const instructor = await make('ines', 'instructor');
  const otherInstructor = await make('otto', 'instructor');
  const sameStudent = await make('sam', 'student');
  const otherStudent = await make('olga', 'student');
  const classA = c.classroom.classes.create('Networks A', instructor);
  const classB = c.classroom.classes.create('Networks B', otherInstructor);
  c.classroom.classes.addStudent(classA.id, sameStudent.id);
  c.classroom.classes.addStudent(classB.id, otherStudent.id);
  const cookie: Record<Who, string> = { anonymous: '', otherStudent: '', sameStudent: '', otherInstructor: '', instructor: '', admin: '' };
  for (const [who, u] of [['admin', admin], ['instructor', instructor], ['otherInstructor', otherInstructor], ['sameStudent', sameStudent], ['otherStudent', otherStudent]] as const) {
    cookie[who] = await login(c.s.app, u.username, PASSWORD);
  }
  return {
    cookie,
    ids: { admin: admin.id, instructor: instructor.id, otherInstructor: otherInstructor.id, sameStudent: sameStudent.id, otherStudent: otherStudent.id },
    classId: classA.id,
    otherClassId: classB.id,
  };
}
