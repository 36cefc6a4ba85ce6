import { Duration } from 'aws-cdk-lib';
import { Rule, Schedule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { functionsOf, scheduledFunctionsOf, type Service } from '../../functions/routes';
import { HcxFunction } from './hcx-function';
import type { Monitoring } from './monitoring';

/** `province-issue` → `ProvinceIssue` (construct ids). */
export function pascal(fn: string): string {
  return fn.replace(/(^|-)([a-z0-9])/g, (_m, _d, c: string) => c.toUpperCase());
}

/** How one function of a service is sized; permissions are granted by the stack, per function. */
export interface FunctionShape {
  readonly timeout?: Duration;
  readonly memorySize?: number;
  readonly reservedConcurrency?: number;
  /** Instances kept initialised behind a `live` alias; @default none */
  readonly provisionedConcurrency?: number;
}

export interface ServiceFunctionsProps {
  readonly service: Service;
  readonly environment: Readonly<Record<string, string>>;
  readonly logRetention: RetentionDays;
  readonly monitoring: Monitoring;
  /** Every function of the service must appear here: a route added to the table without a decision fails the synth. */
  readonly shapes: Readonly<Record<string, FunctionShape>>;
}

/**
 * One `HcxFunction` per route and scheduled function of a service (`functions/routes.ts`), each
 * with its error and throttle alarms.
 */
export class ServiceFunctions extends Construct {
  readonly byName = new Map<string, HcxFunction>();

  constructor(scope: Construct, id: string, props: ServiceFunctionsProps) {
    super(scope, id);
    const names = functionsOf(props.service).map((f) => f.fn);
    for (const fn of new Set(names)) {
      const shape = props.shapes[fn];
      if (!shape)
        throw new Error(`${props.service} function ${fn} has no entry in the stack's function table`);
      const f = new HcxFunction(this, pascal(fn), {
        service: props.service,
        fn,
        logRetention: props.logRetention,
        environment: props.environment,
        ...shape,
      });
      props.monitoring.watchFunction(pascal(fn), f);
      this.byName.set(fn, f);
    }
  }

  /** The function of a handler folder; throws for a name that is not in the route table. */
  get(fn: string): HcxFunction {
    const f = this.byName.get(fn);
    if (!f) throw new Error(`no function ${fn}`);
    return f;
  }
}

/**
 * One EventBridge rule per scheduled function of the service (`SCHEDULED` in `functions/routes.ts`),
 * created in `scope` as `<Fn>Schedule`. No retries: the next run comes soon and does the same work.
 * `retryAttempts: 0` on the target only stops EventBridge; Lambda's own asynchronous invocation
 * retries (twice by default) are turned off on the function, and an event older than one period
 * is dropped.
 */
export function scheduleFunctions(scope: Construct, service: Service, functions: ServiceFunctions): Rule[] {
  return scheduledFunctionsOf(service).map((s) => {
    const fn = functions.get(s.fn).function;
    fn.configureAsyncInvoke({ retryAttempts: 0, maxEventAge: Duration.minutes(Math.max(1, s.everyMinutes)) });
    return new Rule(scope, `${pascal(s.fn)}Schedule`, {
      description: s.summary,
      schedule: Schedule.rate(Duration.minutes(s.everyMinutes)),
      targets: [new LambdaFunction(fn, { retryAttempts: 0 })],
    });
  });
}
