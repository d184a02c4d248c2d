export * from './app.ts';
export * from './serve.ts';
export { DEFAULT_LIMITS, type Limits } from './limits.ts';
export { tokenMatches } from './auth.ts';
