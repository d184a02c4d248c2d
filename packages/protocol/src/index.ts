export * from './messages.ts';
export * from './terminal.ts';
export * from './capture.ts';
export * from './classroom.ts';
export * from './journey.ts';
