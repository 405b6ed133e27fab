// The one module shared by the API, the worker and the workflows. Workflow-safe: no Node APIs.
export * from './roles';
export * from './task-queues';
export * from './stages';
export * from './problems';
export * from './application-messages';
