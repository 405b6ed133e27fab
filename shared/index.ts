// The one module shared by the API, the worker and the workflows. Workflow-safe: no Node APIs, and
// the zod schemas of programme-config.ts are exported as types only (import them from the file).
export * from './roles';
export * from './task-queues';
export * from './stages';
export * from './problems';
export * from './time';
export * from './application-messages';
export * from './child-messages';
export * from './events';
export type * from './programme-config';
export * from './station-messages';
