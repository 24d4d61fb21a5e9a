/** HTTP door: the v1 API over a Gateway. */
export { createApp } from './app.ts';
export { openApiDocument } from './openapi.ts';
export { startServer } from './serve.ts';
export type { RunningServer } from './serve.ts';
