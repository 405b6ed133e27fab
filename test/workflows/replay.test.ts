// Guards running workflows against non-deterministic code changes: every recorded history under
// test/histories (cases and their child workflows) must replay against the current workflow code.
// See record-histories.record.ts.
import fs from 'node:fs';
import path from 'node:path';
import { Worker } from '@temporalio/worker';
import { workflowBundle } from '../helpers/temporal';
import { HISTORIES_DIR, readRecordedHistory, scenarios } from './history-scenarios';

const files = fs.readdirSync(HISTORIES_DIR).filter((f) => f.endsWith('.json'));

it('has recorded histories for every scenario, and for every workflow type', () => {
  const cases = new Set(files.filter((f) => !/--\d+-/.test(f)).map((f) => f.replace(/(--run\d+)?\.json$/, '')));
  expect([...cases].sort()).toEqual(Object.keys(scenarios).sort());
  const childTypes = new Set(files.filter((f) => /--\d+-/.test(f)).map((f) => f.replace(/^.*--\d+-|\.json$/g, '')));
  expect([...childTypes].sort()).toEqual(['milestoneCheckWorkflow', 'publicNoticeWorkflow', 'reviewRoundWorkflow']);
});

it.each(files)('replays %s', async (file) => {
  const { workflowId, history } = readRecordedHistory(path.join(HISTORIES_DIR, file));
  await Worker.runReplayHistory({ workflowBundle: workflowBundle() }, history, workflowId);
});
