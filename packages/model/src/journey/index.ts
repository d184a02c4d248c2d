export * from './types.ts';
export * from './decode.ts';
export * from './nft-trace.ts';
export * from './journey.ts';
export * from './arm.ts';
export * from './monitors.ts';
export * from './pcapng.ts';
