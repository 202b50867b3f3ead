/** A unit of background work: a kind that names its handler, and a JSON-serialisable payload. */
export interface Task<P = unknown> {
  kind: string;
  payload: P;
}

export type TaskHandler<P = unknown> = (payload: P) => Promise<void>;

/**
 * Where background work goes. The embedded mode runs handlers in this process; a PostgreSQL
 * deployment can run the same handlers in worker processes behind the same interface.
 */
export interface TaskQueue {
  register<P>(kind: string, handler: TaskHandler<P>): void;
  enqueue<P>(kind: string, payload: P): Promise<void>;
  /** Resolves when every task enqueued so far has finished. */
  drain(): Promise<void>;
  stop(): Promise<void>;
}
