/**
 * Every deployed function builds its handler from the environment its stack gives it, and from
 * nothing else: a handler that needs a variable the stack does not set (or that is given a variable
 * for a service it was not built to call) fails here rather than with a 500 in AWS.
 * Token values (ARNs, names) are placeholders; building does no I/O.
 */
import * as path from 'node:path';
import { PROJECT_ROOT } from '../../lib/constructs/bundling';
import { functionEnvironments } from '../../lib/function-environments';
import { handlerEntry, ROUTES, SCHEDULED } from '../../functions/routes';
import { defaultConfig } from './fixture';

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
});
