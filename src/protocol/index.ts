export * from './codes.ts';
export * from './limits.ts';
export * from './message-id.ts';
export * from './frames.ts';
export * from './client-frame.ts';
export * from './connect-request.ts';
export * from './display-name.ts';
