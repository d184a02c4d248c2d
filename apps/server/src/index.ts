export * from './app.ts';
export * from './serve.ts';
export { DEFAULT_LIMITS, type Limits } from './limits.ts';
export { tokenMatches } from './auth.ts';
export { Classroom, classroomOptionsOf, type ClassroomOptions } from './classroom/classroom.ts';
export { ROLES, type Role } from './classroom/accounts.ts';
