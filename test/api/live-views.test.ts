// A case's live view over HTTP is the one its workflow projected into the read model with each
// change: reads never query the workflow, so they answer with no worker running, and they cannot set
// off a worker's running a case forward on a query (docs/operations.md); nor does an action refused
// for a child the view does not name. A row projected by older workflow code (a token without its
// view) is still answered by asking the workflow.
import { WorkflowClient } from '@temporalio/client';
import { applicationViewQuery } from '../../shared';
import { draftBody, programmeBody } from '../helpers/fixtures';
import { type TestSystem, startSystem } from '../helpers/system';
import { NativeConnection, devServerAddress, startWorker } from '../helpers/temporal';

jest.setTimeout(120_000);

let sys: TestSystem;
let connection: NativeConnection;

beforeAll(async () => {
  // The test's own worker on the system's task queue, so that it can stop it.
  sys = await startSystem({ inProcessWorker: false, workflowWaitMs: 3_000 });
  connection = await NativeConnection.connect({ address: devServerAddress() });
});

afterAll(async () => {
  await sys?.stop();
  await connection?.close();
});

it('reads the projected view without asking the workflow, with a worker and without one', async () => {
  const worker = await startWorker(connection, sys.db.prisma, sys.taskQueue);
  let stopped = false;
  // Spied on, not replaced: every query the API sends still goes to the real worker.
  const queries = jest.spyOn(WorkflowClient.prototype as unknown as { _queryWorkflowHandler: () => Promise<unknown> }, '_queryWorkflowHandler');
  const asked = () => queries.mock.calls.length;
  try {
    const officer = await sys.user('officer');
    const lead = await sys.user('applicant');
    const programme = await sys.call('POST', '/programmes', { key: officer.key, body: programmeBody() });
    const draft = await sys.call('POST', '/applications', { key: lead.key, body: draftBody(programme.body.id) });
    const id = draft.body.id as string;
    const submitted = await sys.call('POST', `/applications/${id}/submit`, { key: lead.key });
    expect(submitted.status).toBe(200);
    const read = async () => {
      const res = await sys.call('GET', `/applications/${id}`, { key: lead.key });
      expect(res.status).toBe(200);
      return res.body.workflow;
    };

    // The action's answer waits for its projection, so the first read already has the new view.
    const views = [];
    for (let i = 0; i < 5; i++) views.push(await read());
    expect(asked()).toBe(0);
    expect(views.every((v) => v.stage === 'submitted')).toBe(true);
    const answered = await sys.client.workflow.getHandle(id).query(applicationViewQuery);
    expect(views[4]).toEqual(answered);

    // An action on a child the case does not run is refused from what the view names: no query.
    const early = await sys.call('POST', `/applications/${id}/milestone/report`, { key: lead.key, body: { summary: 'Too early' } });
    expect(early.status).toBe(409);
    expect(early.body).toMatchObject({ code: 'WrongStage', detail: 'No milestone check is running for this case' });
    expect(asked()).toBe(1); // the test's own query above

    // An action moves the view; the worker is then stopped, and the case still reads as it now is.
    const withdrawn = await sys.call('POST', `/applications/${id}/withdraw`, { key: lead.key, body: { reason: 'Moving the team' } });
    expect(withdrawn.status).toBe(200);
    const before = asked();
    await worker.stop();
    stopped = true;
    const closed = await read();
    expect(closed).toEqual(withdrawn.body);
    expect(closed.stage).toBe('withdrawn');
    expect(asked()).toBe(before);

    // A token without its view (projected by workflow code older than viewJson) is asked for, once.
    await sys.db.prisma.application.update({ where: { id }, data: { viewJson: null, viewToken: 'older-code:1' } });
    const again = await startWorker(connection, sys.db.prisma, sys.taskQueue);
    try {
      expect(await read()).toEqual(withdrawn.body);
      expect(asked()).toBe(before + 1);
      for (let i = 0; i < 3; i++) expect(await read()).toEqual(withdrawn.body);
      expect(asked()).toBe(before + 1);
    } finally {
      await again.stop();
    }
  } finally {
    queries.mockRestore();
    if (!stopped) await worker.stop();
  }
});
