export * from './collector.ts';
export * from './lock.ts';
export * from './trace.ts';
