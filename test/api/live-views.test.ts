// A case's live view over HTTP is the workflow's own answer, read again from the API's memory only
// while the workflow's history stands still: the query count shows the kept view being served; the
// reads after each action show it never outlives a change.
import { WorkflowClient } from '@temporalio/client';
import { applicationViewQuery } from '../../shared';
import { draftBody, programmeBody } from '../helpers/fixtures';
import { type TestSystem, startSystem } from '../helpers/system';

jest.setTimeout(120_000);

let sys: TestSystem;

beforeAll(async () => {
  sys = await startSystem();
});

afterAll(async () => {
  await sys?.stop();
});

it('asks the workflow again as soon as its history moves, and not while it stands still', async () => {
  const officer = await sys.user('officer');
  const lead = await sys.user('applicant');
  const programme = await sys.call('POST', '/programmes', { key: officer.key, body: programmeBody() });
  const draft = await sys.call('POST', '/applications', { key: lead.key, body: draftBody(programme.body.id) });
  const id = draft.body.id as string;
  expect((await sys.call('POST', `/applications/${id}/submit`, { key: lead.key })).status).toBe(200);

  // Spied on, not replaced: the real client still sends every query to the real worker.
  const queries = jest.spyOn(WorkflowClient.prototype as unknown as { _queryWorkflowHandler: () => Promise<unknown> }, '_queryWorkflowHandler');
  const read = async () => {
    const res = await sys.call('GET', `/applications/${id}`, { key: lead.key });
    expect(res.status).toBe(200);
    return res.body.workflow;
  };
  const asked = () => queries.mock.calls.length;
  try {
    // Submitted: the workflow waits for the call to close, its history still once the submission's
    // projection is written. Ten reads then ask it at most once more.
    await read();
    let before = -1;
    for (let i = 0; i < 50 && asked() !== before; i++) {
      before = asked();
      await read();
    }
    const settled = asked();
    const views = [];
    for (let i = 0; i < 10; i++) views.push(await read());
    expect(asked() - settled).toBeLessThanOrEqual(1);
    expect(views.every((v) => v.stage === 'submitted')).toBe(true);
    expect(views[9]).toEqual(await sys.client.workflow.getHandle(id).query(applicationViewQuery));

    // An action moves the history: the next read is the workflow's new answer, not the kept one.
    const withdrawn = await sys.call('POST', `/applications/${id}/withdraw`, { key: lead.key, body: { reason: 'Moving the team' } });
    expect(withdrawn.status).toBe(200);
    const after = asked();
    const closed = await read();
    expect(asked()).toBeGreaterThan(after);
    expect(closed.stage).toBe('withdrawn');
    expect(closed).toEqual(withdrawn.body);

    // A closed case's view is asked for once (the worker replays its history to answer), then kept.
    const once = asked();
    for (let i = 0; i < 5; i++) expect((await read()).stage).toBe('withdrawn');
    expect(asked() - once).toBeLessThanOrEqual(1);
  } finally {
    queries.mockRestore();
  }
});
