export * from './format.ts';
export * from './describe.ts';
export * from './check.ts';
export * from './parse.ts';
export * from './load.ts';
export * from './solve.ts';
export * from './diagnose-live.ts';
export * from './tools.ts';
