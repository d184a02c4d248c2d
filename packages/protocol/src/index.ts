export * from './messages.ts';
export * from './terminal.ts';
export * from './capture.ts';
