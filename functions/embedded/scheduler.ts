/**
 * The EventBridge stand-in of the embedded runtime: the scheduled functions of every instance, run
 * on one interval with a scheduled event and a Lambda context as EventBridge and Lambda give them.
 */
import { randomUUID } from 'node:crypto';
import type { Context, ScheduledEvent } from 'aws-lambda';
import { scheduledFunctionsOf, type Service } from '../routes';
import type { ServiceHandlers } from './federation';
import { lambdaContext, LOCAL_ACCOUNT_ID } from './lambda-context';
import type { AdapterLog } from './server';

/** A scheduled function (EventBridge target in AWS). */
export type ScheduledHandler = (event: ScheduledEvent, context: Context) => Promise<unknown>;

export interface ScheduledJob {
  readonly name: string;
  readonly fn: string;
  readonly handler: ScheduledHandler;
}

export function scheduledJobs(service: Service, instance: string, handlers: ServiceHandlers): ScheduledJob[] {
  return scheduledFunctionsOf(service)
    .filter((s) => handlers.scheduled?.[s.fn])
    .map((s) => ({
      name: `hcx-${instance}-${s.fn}`,
      fn: s.fn,
      handler: handlers.scheduled?.[s.fn] as ScheduledHandler,
    }));
}

/** The EventBridge stand-in: every job on one interval, never two runs of a job at once. */
export class Scheduler {
  private timer?: NodeJS.Timeout;
  private readonly running = new Map<string, Promise<void>>();
  private readonly failing = new Set<string>();
  private stopped = false;

  constructor(
    private readonly jobs: readonly ScheduledJob[],
    private readonly log: AdapterLog,
  ) {}

  start(everySeconds: number): void {
    this.timer = setInterval(() => void this.runAll(), everySeconds * 1000);
  }

  async runAll(): Promise<void> {
    await Promise.all(this.jobs.map((j) => this.run(j)));
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await Promise.all(this.running.values());
  }

  private run(job: ScheduledJob): Promise<void> {
    const busy = this.running.get(job.name);
    if (busy || this.stopped) return busy ?? Promise.resolve();
    const requestId = randomUUID();
    const event: ScheduledEvent = {
      version: '0',
      id: requestId,
      'detail-type': 'Scheduled Event',
      source: 'aws.events',
      account: LOCAL_ACCOUNT_ID,
      time: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
      region: 'local',
      resources: [`arn:aws:events:local:${LOCAL_ACCOUNT_ID}:rule/${job.name}`],
      detail: {},
    };
    const run = job
      .handler(event, lambdaContext(job.name, requestId, 60_000))
      .then(() => {
        if (this.failing.delete(job.name)) this.log('scheduled run recovered', { fn: job.name });
      })
      .catch((e: unknown) => {
        // once per failure streak, not every interval; the error's class only (messages may carry input)
        if (!this.failing.has(job.name))
          this.log('scheduled run failed', { fn: job.name, error: (e as Error)?.name });
        this.failing.add(job.name);
      })
      .finally(() => this.running.delete(job.name));
    this.running.set(job.name, run);
    return run;
  }
}
