import type { Logger } from 'pino';
import type { TaskHandler, TaskQueue } from './task-queue.js';

/** Runs tasks in this process with a bounded number running at once, oldest first. */
export class InProcessTaskQueue implements TaskQueue {
  private readonly handlers = new Map<string, TaskHandler<any>>();
  private readonly waiting: Array<{ kind: string; payload: unknown }> = [];
  private running = 0;
  private stopped = false;
  private idleWaiters: Array<() => void> = [];

  constructor(private readonly concurrency: number, private readonly log?: Logger) {
    if (!Number.isInteger(concurrency) || concurrency < 1) throw new Error('queue concurrency must be a positive integer');
  }

  register<P>(kind: string, handler: TaskHandler<P>): void {
    if (this.handlers.has(kind)) throw new Error(`a handler for task kind ${kind} is already registered`);
    this.handlers.set(kind, handler as TaskHandler<any>);
  }

  async enqueue<P>(kind: string, payload: P): Promise<void> {
    if (this.stopped) throw new Error('the task queue is stopped');
    if (!this.handlers.has(kind)) throw new Error(`no handler is registered for task kind ${kind}`);
    this.waiting.push({ kind, payload });
    this.pump();
  }

  drain(): Promise<void> {
    if (this.running === 0 && this.waiting.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.waiting.length = 0;
    await this.drain();
  }

  private pump(): void {
    while (this.running < this.concurrency && this.waiting.length > 0) {
      const task = this.waiting.shift()!;
      const handler = this.handlers.get(task.kind)!;
      this.running++;
      handler(task.payload)
        .catch((error) => this.log?.error({ err: error, kind: task.kind }, 'background task failed'))
        .finally(() => {
          this.running--;
          this.pump();
          if (this.running === 0 && this.waiting.length === 0) {
            const waiters = this.idleWaiters;
            this.idleWaiters = [];
            for (const resolve of waiters) resolve();
          }
        });
    }
  }
}
