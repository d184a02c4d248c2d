export * from './run.ts';
export * from './sandbox.ts';
export * from './execute.ts';
export * from './observe.ts';
export * from './capabilities.ts';
export * from './lab.ts';
export { stateDir } from './state-dir.ts';
export * from './watch.ts';
export * from './lab-store.ts';
