export * from './version.ts';
export * from './errors.ts';
export * from './ids.ts';
export * from './media.ts';
export * from './tokens.ts';
export * from './client.ts';
export * from './sfu.ts';
export * from './http.ts';
