export type { Logger } from '../logger.ts';
export * from './member-socket.ts';
export * from './member.ts';
export * from './room.ts';
export * from './room-registry.ts';
export * from './room-options.ts';
export * from './token-bucket.ts';
export * from './member-deadlines.ts';
