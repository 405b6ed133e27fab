import { Context } from '@temporalio/activity';

/** Says which worker process ran what, and when. */
export async function note(what: string): Promise<void> {
  console.log(`${new Date().toISOString()} worker ${process.pid}: ${what} (${Context.current().info.workflowExecution?.workflowId})`);
}
