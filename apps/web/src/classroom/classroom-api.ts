// The classroom routes of /api/v1 (classroom mode only; docs/api.md): sign-in, joining a class,
// classes with their join codes and rosters, accounts. Same client as the lab routes (api.ts).
import { request } from '../api.ts';
import type { MeAnswer } from './session-answer.ts';

export type Role = 'admin' | 'instructor' | 'student';

export interface Account {
  id: number;
  username: string;
  displayName: string;
  role: Role;
  mustChangePassword: boolean;
}

export interface ClassInfo {
  id: number;
  name: string;
  createdAt: string;
  /** The caller's place in it (an admin sees every class as 'admin'). */
  role: 'instructor' | 'student' | 'admin';
}

export interface Member {
  id: number;
  username: string;
  displayName: string;
  role: 'instructor' | 'student';
  joinedAt: string;
}

export interface JoinCode {
  /** Formatted `K7QF3-M9X2A`. */
  code: string;
  classId: number;
  createdAt: string;
  expiresAt: string;
  revokedAt: string | null;
  maxUses: number | null;
  uses: number;
}

export interface RosterStudent extends Account {
  /** False: the account existed and was only added to the class. */
  created: boolean;
  /** The generated one-time password: in this answer only. */
  password?: string;
}

const seg = encodeURIComponent;

export const classroomApi = {
  /** Token mode answers `{mode: 'token'}`. */
  me: () => request<MeAnswer>('GET', '/auth/me'),
  login: (username: string, password: string) => request<{ user: Account }>('POST', '/auth/login', { username, password }),
  logout: () => request<void>('POST', '/auth/logout'),
  changePassword: (currentPassword: string, newPassword: string) => request<{ user: Account }>('POST', '/auth/password', { currentPassword, newPassword }),
  join: (body: { code: string; username: string; password: string; displayName?: string }) =>
    request<{ user: Account; class: { id: number; name: string } }>('POST', '/auth/join', body),
  joinClass: (code: string) => request<{ class: { id: number; name: string } }>('POST', '/classes/join', { code }),
  classes: () => request<{ classes: ClassInfo[] }>('GET', '/classes').then((r) => r.classes),
  createClass: (name: string) => request<ClassInfo>('POST', '/classes', { name }),
  getClass: (id: string) => request<{ class: { id: number; name: string; createdAt: string }; members: Member[]; joinCodes: JoinCode[] }>('GET', `/classes/${seg(id)}`),
  createJoinCode: (classId: string, body: { validHours?: number; maxUses?: number }) => request<JoinCode>('POST', `/classes/${seg(classId)}/join-codes`, body),
  revokeJoinCode: (classId: string, code: string) => request<JoinCode>('DELETE', `/classes/${seg(classId)}/join-codes/${seg(code)}`),
  uploadRoster: (classId: string, csv: string) => request<{ students: RosterStudent[] }>('POST', `/classes/${seg(classId)}/roster`, { csv }),
  users: () => request<{ users: Account[] }>('GET', '/users').then((r) => r.users),
  createUser: (body: { username: string; role: Role; displayName?: string; password?: string }) => request<{ user: Account; password?: string }>('POST', '/users', body),
  resetPassword: (username: string) => request<{ user: Account; password: string }>('POST', `/users/${seg(username)}/password-reset`),
};
