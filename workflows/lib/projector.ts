import type { CaseEvent } from '../../shared';
import { projection } from './activities';

/**
 * Collects the events a workflow's transitions produce and hands them to the read-model projector
 * in order, one batch per flush, even when update handlers overlap.
 */
export class Projector {
  private pending: CaseEvent[] = [];
  private tail: Promise<void> = Promise.resolve();

  readonly emit = (...events: CaseEvent[]): void => {
    this.pending.push(...events);
  };

  flush(): Promise<void> {
    const batch = this.pending.splice(0);
    if (batch.length > 0) this.tail = this.tail.then(() => projection.projectEvents(batch));
    return this.tail;
  }
}
