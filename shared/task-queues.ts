/** The task queue the application workflows and their activities run on (overridable for tests). */
export const APPLICATIONS_TASK_QUEUE = 'programme-flow-applications';
