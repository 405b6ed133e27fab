// Guards running workflows against non-deterministic code changes: every recorded history under
// test/histories must replay against the current workflow code (see record-histories.record.ts).
import fs from 'node:fs';
import path from 'node:path';
import { temporal } from '@temporalio/proto';
import { Worker } from '@temporalio/worker';
import { workflowBundle } from '../helpers/temporal';
import { HISTORIES_DIR, scenarios } from './history-scenarios';

const files = fs.readdirSync(HISTORIES_DIR).filter((f) => f.endsWith('.json'));

it('has a recorded history for every scenario', () => {
  expect(files.map((f) => f.replace(/\.json$/, '')).sort()).toEqual(Object.keys(scenarios).sort());
});

it.each(files)('replays %s', async (file) => {
  // Recorded with the message's toJSON, so fromObject is its inverse.
  const history = temporal.api.history.v1.History.fromObject(JSON.parse(fs.readFileSync(path.join(HISTORIES_DIR, file), 'utf8')));
  await Worker.runReplayHistory({ workflowBundle: workflowBundle() }, history, file);
});
