/**
 * The load generator of the HTTP benchmark, run in its own process by `bench/http.ts` (see there
 * why). It waits for jobs on the IPC channel, runs autocannon for each and answers with what it
 * measured. Latencies are kept here at full precision: autocannon's own histogram truncates them to
 * whole milliseconds, too coarse for a server answering in about one.
 */
import autocannon from 'autocannon';
import { percentile } from './stats';

/** A load run the parent asks for. */
export interface LoadJob {
  readonly url: string;
  readonly body: string;
  readonly connections: number;
  readonly durationSeconds: number;
}

/** What one load run measured. */
export interface LoadResult {
  /** Completed responses. */
  readonly responses: number;
  readonly seconds: number;
  /** Count of responses by status code. */
  readonly statuses: Record<string, number>;
  /** Responses whose body did not say `"result":"valid"`. */
  readonly notValid: number;
  /** Connection errors and timeouts. */
  readonly errors: number;
  readonly timeouts: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
}

type Message = { kind: 'run'; job: LoadJob } | { kind: 'exit' };

const VALID = /"result"\s*:\s*"valid"/;

async function run(job: LoadJob): Promise<LoadResult> {
  const statuses: Record<string, number> = {};
  let latencies = new Float64Array(1 << 16);
  let count = 0;
  let notValid = 0;
  let finish!: (result: autocannon.Result) => void;
  let fail!: (e: unknown) => void;
  const done = new Promise<autocannon.Result>((resolve, reject) => {
    finish = resolve;
    fail = reject;
  });
  const instance = autocannon(
    {
      url: job.url,
      connections: job.connections,
      duration: job.durationSeconds,
      pipelining: 1,
      requests: [
        {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: job.body,
          onResponse: (status, body) => {
            statuses[status] = (statuses[status] ?? 0) + 1;
            if (!VALID.test(body)) notValid++;
          },
        },
      ],
    },
    (error: Error | null, result: autocannon.Result) => (error ? fail(error) : finish(result)),
  );
  instance.on('response', (_client, _status, _bytes, responseTimeMs: number) => {
    if (count === latencies.length) {
      const bigger = new Float64Array(latencies.length * 2);
      bigger.set(latencies);
      latencies = bigger;
    }
    latencies[count++] = responseTimeMs;
  });
  const result = await done;
  const sorted = latencies.subarray(0, count).sort();
  return {
    responses: count,
    seconds: result.duration,
    statuses,
    notValid,
    errors: result.errors,
    timeouts: result.timeouts,
    p50Ms: percentile(sorted, 50),
    p99Ms: percentile(sorted, 99),
  };
}

process.on('message', (message: Message) => {
  if (message.kind === 'exit') {
    process.disconnect();
    return;
  }
  run(message.job).then(
    (result) => process.send?.({ kind: 'result', result }),
    (e: unknown) => process.send?.({ kind: 'error', message: e instanceof Error ? e.message : String(e) }),
  );
});
process.send?.({ kind: 'ready' });
