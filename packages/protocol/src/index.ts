export * from './messages.ts';
export * from './terminal.ts';
