// Everything the worker's workflow bundle contains.
export { applicationWorkflow } from './application/application-workflow';
export { reviewRoundWorkflow } from './review-round/review-round-workflow';
export { publicNoticeWorkflow } from './public-notice/public-notice-workflow';
export { milestoneCheckWorkflow } from './milestone-check/milestone-check-workflow';
export { stationWorkflow } from './station/station-workflow';
export { notificationDispatcherWorkflow } from './notifications/dispatcher-workflow';
