/**
 * Every deployed function builds its handler from the environment its stack gives it, and from
 * nothing else: a handler that needs a variable the stack does not set (or that is given a variable
 * for a service it was not built to call) fails here rather than with a 500 in AWS. The stack sets
 * exactly what the function reads: every variable it sets is read while the handler is built, and
 * every name read is in the one list the stacks and the functions share (functions/aws/env.ts).
 * Token values (ARNs, names) are placeholders; building does no I/O.
 */
import * as path from 'node:path';
import { ENV, LOCAL_ENV } from '../../functions/aws/env';
import { PROJECT_ROOT } from '../../lib/constructs/bundling';
import { functionEnvironments } from '../../lib/function-environments';
import { handlerEntry, ROUTES, SCHEDULED } from '../../functions/routes';
import { defaultConfig } from './fixture';

/** Read by every function when functions/aws/observability.ts loads (once per process, not per build). */
const READ_AT_IMPORT: readonly string[] = [ENV.POWERTOOLS_SERVICE_NAME, ENV.POWERTOOLS_LOG_LEVEL];
/** Read by the Lambda runtime itself, not by hcx code. */
const RUNTIME_ENV: readonly string[] = ['NODE_OPTIONS'];
const LISTED = new Set<string>([...Object.values(ENV), ...Object.values(LOCAL_ENV)]);

/** `env` as a process environment that records which names are read. */
function recording(env: NodeJS.ProcessEnv, read: Set<string>): NodeJS.ProcessEnv {
  return new Proxy(env, {
    get: (target, name) => {
      if (typeof name === 'string') read.add(name);
      return target[name as string];
    },
  });
}

interface HandlerModule {
  readonly fromEnv: (env: NodeJS.ProcessEnv) => unknown;
  readonly create: (deps: unknown) => unknown;
}

describe('the environment of every deployed function', () => {
  const functions = functionEnvironments(defaultConfig());

  it('covers every handler of the routes and schedules, in the exchange and each province stack', () => {
    // prepare
    const handlers = new Set([...ROUTES, ...SCHEDULED].map((r) => r.fn));
    const provinceStacks = new Set(functions.filter((f) => f.fn.startsWith('province-')).map((f) => f.stack));

    // assert
    expect(new Set(functions.map((f) => f.fn))).toEqual(handlers);
    expect(provinceStacks.size).toBe(defaultConfig().provinces.length);
  });

  it('starts no function with --enable-source-maps (it parses the source map at every cold start)', () => {
    // assert: logged stack frames are mapped when logged (functions/aws/observability.ts)
    const withMaps = functions.filter((f) => (f.env.NODE_OPTIONS ?? '').includes('--enable-source-maps'));
    expect(withMaps.map((f) => f.fn)).toEqual([]);
  });

  it.each(functions.map((f) => [f.fn, f.stack, f] as const))('builds %s (%s)', (_fn, _stack, { fn, env }) => {
    // prepare
    const def = [...ROUTES, ...SCHEDULED].find((r) => r.fn === fn)!;
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const mod = require(path.join(PROJECT_ROOT, handlerEntry(def))) as HandlerModule;

    // act
    const built = mod.create(mod.fromEnv({ ...env, AWS_REGION: 'ap-east-1' }));

    // assert
    expect(typeof built).toBe('function');
  });

  it.each(functions.map((f) => [f.fn, f.stack, f] as const))(
    'sets for %s (%s) exactly what it reads, by the shared names',
    (_fn, _stack, { fn, env }) => {
      // prepare
      const def = [...ROUTES, ...SCHEDULED].find((r) => r.fn === fn)!;
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const mod = require(path.join(PROJECT_ROOT, handlerEntry(def))) as HandlerModule;
      const read = new Set<string>();
      const processRead = new Set<string>();
      const lambdaEnv = { ...env, AWS_REGION: 'ap-east-1' };

      // act: the handler chain reads process.env (CALLER_ROLE_ARN) while it is built
      const restore = jest.replaceProperty(
        process,
        'env',
        recording({ ...process.env, ...lambdaEnv }, processRead),
      );
      try {
        mod.create(mod.fromEnv(recording(lambdaEnv, read)));
      } finally {
        restore.restore();
      }

      // assert
      const readNames = [...read, ...[...processRead].filter((n) => n in env)];
      const unread = Object.keys(env).filter(
        (n) => !readNames.includes(n) && !READ_AT_IMPORT.includes(n) && !RUNTIME_ENV.includes(n),
      );
      expect(unread).toEqual([]);
      expect(readNames.filter((n) => n !== 'AWS_REGION' && !LISTED.has(n))).toEqual([]);
      expect(Object.keys(env).filter((n) => !RUNTIME_ENV.includes(n) && !LISTED.has(n))).toEqual([]);
    },
  );
});
