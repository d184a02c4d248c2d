// The classroom routes of /api/v1 (classroom mode only; docs/api.md): sign-in, joining a class,
// classes with their join codes and rosters, accounts. Same client as the lab routes (api.ts).
import { request } from '../api.ts';
import type { ClassQuotaValues, QuotaValues } from './class-quotas.ts';
import type { MeAnswer } from './session-answer.ts';
import type { Cell, Grid as ProtocolGrid, IdleStop } from '@nslab/protocol';

export type Role = 'admin' | 'instructor' | 'student';

export interface Account {
  id: number;
  username: string;
  displayName: string;
  role: Role;
  mustChangePassword: boolean;
  /** Disabled by an admin or an instructor: cannot sign in. */
  disabled?: boolean;
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
  /** The account is disabled (cannot sign in). */
  disabled?: boolean;
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

export type WindowState = 'upcoming' | 'open' | 'closed';

/** A catalog lab published to a class for a window (server: classroom/assignments.ts). */
export interface Assignment {
  id: number;
  classId: number;
  /** The guided lab's id: the catalog's, or an upload's (`upload/...`). */
  lab: string;
  title: string;
  /** Published from an uploaded folder. */
  uploaded?: boolean;
  opensAt: string;
  closesAt: string;
  window: WindowState;
}

export type { Cell, CellState, IdleStop, StudentRow } from '@nslab/protocol';
export type Grid = ProtocolGrid<Assignment>;

/** A student's own view of an assignment (GET /assignments). */
export interface MyAssignment extends Assignment {
  myLab: string | null;
  startedAt: string | null;
  steps: { id: string; title: string }[];
  cells: Cell[];
}

/** A lab folder an instructor uploaded (server: classroom/uploads.ts); its id is `upload/<name>-<hash>`. */
export interface UploadedLab {
  id: string;
  owner: string;
  name: string;
  title: string;
  files: number;
  bytes: number;
  uploadedAt: string;
  /** Assignments published from it (it cannot be deleted while there are any). */
  assignments: number[];
}

export interface OidcStatus {
  enabled: boolean;
  issuer?: string;
  /** The path that starts the flow (`/api/v1/auth/oidc/start`). */
  start?: string;
}

/** A class's student quotas (null: the server's) beside the server's own. */
export interface ClassQuotasAnswer {
  server: QuotaValues;
  class: ClassQuotaValues;
}

/** A class's instructors (GET /classes/:class/instructors). */
export interface ClassInstructors {
  /** The username of who made the class: they (or an admin) add and remove co-instructors. */
  creator: string | null;
  instructors: Member[];
}

const seg = encodeURIComponent;
const assignmentPath = (classId: string | number, id: string | number) => `/classes/${seg(String(classId))}/assignments/${seg(String(id))}`;

export const classroomApi = {
  /** Token mode answers `{mode: 'token'}`. */
  me: () => request<MeAnswer>('GET', '/auth/me'),
  login: (username: string, password: string) => request<{ user: Account }>('POST', '/auth/login', { username, password }),
  /** 204 (nothing), or where the browser goes so the sign-in provider ends its session too. */
  logout: () => request<{ providerLogout: string } | undefined>('POST', '/auth/logout'),
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
  oidc: () => request<OidcStatus>('GET', '/auth/oidc'),
  assignments: (classId: string) => request<{ assignments: Assignment[] }>('GET', `/classes/${seg(classId)}/assignments`).then((r) => r.assignments),
  publish: (classId: string, body: { lab: string; opensAt?: string; closesAt: string }) => request<Assignment>('POST', `/classes/${seg(classId)}/assignments`, body),
  moveWindow: (classId: string, id: number, body: { opensAt?: string; closesAt?: string }) => request<Assignment>('PATCH', assignmentPath(classId, id), body),
  closeAssignment: (classId: string, id: number) => request<Assignment>('POST', `${assignmentPath(classId, id)}/close`, {}),
  grid: (classId: string, id: string) => request<Grid>('GET', `${assignmentPath(classId, id)}/grid`),
  resetStudent: (classId: string, id: string, username: string) =>
    request<{ reset: string; student: string; startedAt: string }>('POST', `${assignmentPath(classId, id)}/students/${seg(username)}/reset`, {}),
  progressUrl: (classId: string, id: string, format: 'csv' | 'json') => `/api/v1${assignmentPath(classId, id)}/progress?format=${format}`,
  livePath: (classId: string, id: string) => `/api/v1${assignmentPath(classId, id)}/live`,
  myAssignments: () => request<{ assignments: MyAssignment[] }>('GET', '/assignments').then((r) => r.assignments),
  startAssignment: (id: number) => request<{ name: string; assignment: number; started: boolean }>('POST', `/assignments/${seg(String(id))}/start`, {}),
  terminals: (lab: string) =>
    request<{ terminals: { session: string; node: string; attached: boolean; watchers: number }[] }>('GET', `/labs/${seg(lab)}/terminals`).then((r) => r.terminals),
  deleteAssignment: (classId: string, id: number) => request<{ deleted: number; labsRemoved: string[] }>('DELETE', assignmentPath(classId, id), {}),
  removeStudent: (classId: string, username: string) => request<{ removed: string; labsRemoved: string[] }>('DELETE', `/classes/${seg(classId)}/students/${seg(username)}`, {}),
  deleteClass: (classId: string) => request<{ deleted: number; labsRemoved: string[] }>('DELETE', `/classes/${seg(classId)}`, {}),
  disableUser: (username: string) => request<{ user: Account; labsStopped: string[] }>('POST', `/users/${seg(username)}/disable`, {}),
  enableUser: (username: string) => request<{ user: Account }>('POST', `/users/${seg(username)}/enable`, {}),
  deleteUser: (username: string) => request<{ deleted: string; labsRemoved: string[] }>('DELETE', `/users/${seg(username)}`, {}),
  /** Whether the lab was stopped while idle; asking does not start it. */
  idleStop: (lab: string) => request<{ idleStop: IdleStop | null }>('GET', `/labs/${seg(lab)}/idle-stop`).then((r) => r.idleStop),
  /** Its owner takes the notice once the lab runs again (the request itself starts it first). */
  takeIdleStop: (lab: string) => request<{ idleStop: IdleStop | null }>('DELETE', `/labs/${seg(lab)}/idle-stop`).then((r) => r.idleStop),
  uploads: () => request<{ uploads: UploadedLab[] }>('GET', '/lab-uploads').then((r) => r.uploads),
  uploadLab: (body: { name: string; files: Record<string, string> }) => request<UploadedLab & { lab: { title: string; steps: { id: string; title: string }[] } }>('POST', '/lab-uploads', body),
  deleteUpload: (id: string) => request<{ deleted: string }>('DELETE', `/lab-uploads/${seg(id.replace(/^upload\//, ''))}`, {}),
  classInstructors: (classId: string) => request<ClassInstructors>('GET', `/classes/${seg(classId)}/instructors`),
  addInstructor: (classId: string, username: string) => request<ClassInstructors>('POST', `/classes/${seg(classId)}/instructors`, { username }),
  removeInstructor: (classId: string, username: string) => request<ClassInstructors>('DELETE', `/classes/${seg(classId)}/instructors/${seg(username)}`, {}),
  classQuotas: (classId: string) => request<ClassQuotasAnswer>('GET', `/classes/${seg(classId)}/quotas`),
  setClassQuotas: (classId: string, body: Partial<ClassQuotaValues>) => request<ClassQuotasAnswer>('PUT', `/classes/${seg(classId)}/quotas`, body),
  resetPassword: (username: string) => request<{ user: Account; password: string }>('POST', `/users/${seg(username)}/password-reset`),
};
