// Everything the worker's workflow bundle contains.
export { applicationWorkflow } from './application/application-workflow';
