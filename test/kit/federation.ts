/**
 * The one way tests start an in-process federation: the embedded runner (dynalite, the real
 * handlers, real HTTP on free ports), in memory unless a `dataDir` is given. Suites that need a
 * special shape wrap it (test/security/helpers.ts `startSecurityFederation`, the extra Lambda
 * instances of test/faults/kit.ts) or its handlers (`wrapHandlers`). On top of the runner: a
 * province clock the test shifts (`shiftClock`, given to the nodes as their `now`) and each node's
 * last sync outcome (`lastSync`, recorded around the real `province-sync` handler).
 */
import { readFileSync } from 'node:fs';
import {
  startFederation,
  type Federation,
  type FederationContext,
  type FederationOptions,
  type ScheduledHandler,
  type ServiceHandlers,
  type ServiceHandlersMap,
} from '../../functions/embedded/federation';
import type { SyncRunOutcome } from '../../functions/province/handlers/sync';
import { buildHandlers, provision } from '../../functions/embedded/wiring';
import { signRequest } from '../../functions/core/signed-request';
import { LocalKeySigner } from '../../functions/core/signer';
import { encodeB64url } from '../../functions/core/b64';
import { randomBytes } from 'node:crypto';
import { HOLDER } from './domain';

export { HOLDER };

/** What a test may set; everything else is the real wiring (the clock is the kit's, see below). */
export type TestFederationOptions = Omit<
  FederationOptions,
  'buildHandlers' | 'provision' | 'provinces' | 'now'
> & {
  /** Wrap the real handlers before they serve (e.g. count each exchange function's invocations). */
  readonly wrapHandlers?: (built: ServiceHandlersMap) => ServiceHandlersMap;
};

/** A running test federation, with a shiftable clock and each node's last sync outcome. */
export interface TestFederation extends Federation {
  /** Run the province nodes `seconds` ahead of real time (0: real time again); the exchange keeps real time. */
  shiftClock(seconds: number): void;
  /** What province `region`'s last scheduled sync (`province-sync`) returned; undefined before one. */
  lastSync(region: string): SyncRunOutcome | undefined;
}

const SYNC_FN = 'province-sync';

/**
 * Start a throwaway federation; the schedule is slow so tests drive sync with `runScheduled()`.
 * In memory by default; with `dataDir` on disk (a restart keeps the state).
 */
export async function startTestFederation(
  provinces?: readonly string[],
  options: TestFederationOptions = {},
): Promise<TestFederation> {
  let offset = 0;
  const syncs = new Map<string, SyncRunOutcome>();
  // the real handlers, with each node's sync wrapped to keep what it returned
  const recordingHandlers = async (context: FederationContext) => {
    const built = await buildHandlers(context);
    const record = (region: string, h: ServiceHandlers): ServiceHandlers => {
      const sync = h.scheduled?.[SYNC_FN];
      if (!sync) return h;
      const recorded: ScheduledHandler = async (event, ctx) => {
        const outcome = (await sync(event, ctx)) as SyncRunOutcome;
        syncs.set(region, outcome);
        return outcome;
      };
      return { ...h, scheduled: { ...h.scheduled, [SYNC_FN]: recorded } };
    };
    const recording = {
      ...built,
      provinces: Object.fromEntries(Object.entries(built.provinces).map(([r, h]) => [r, record(r, h)])),
    };
    return wrapHandlers ? wrapHandlers(recording) : recording;
  };
  const { wrapHandlers, ...federationOptions } = options;
  const fed = await startFederation({
    memory: options.dataDir === undefined,
    port: 0,
    ...(provinces ? { provinces } : {}),
    syncIntervalSeconds: 3600,
    sweepIntervalSeconds: 3600,
    ...federationOptions,
    now: () => Math.floor(Date.now() / 1000) + offset,
    buildHandlers: recordingHandlers,
    provision,
  });
  return {
    ...fed,
    shiftClock: (seconds) => {
      offset = seconds;
    },
    lastSync: (region) => syncs.get(region),
  };
}

export type ProvinceState = Federation['state']['provinces'][number];

export const now = () => Math.floor(Date.now() / 1000);

/** POST /v1/codes at `p` with its internal token. */
export function issueAt(p: ProvinceState, body: unknown): Promise<Response> {
  return fetch(`${p.url}/v1/codes`, {
    method: 'POST',
    headers: { authorization: `Bearer ${p.internalToken}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
}

/** POST /v1/codes/verify at `p`; the parsed verification result. */
export async function verifyAt(
  p: ProvinceState,
  code: string,
  holder?: object,
): Promise<{ result: string; status: string | null; reasons: { code: string }[] } & Record<string, unknown>> {
  const res = await fetch(`${p.url}/v1/codes/verify`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(holder ? { code, holder } : { code }),
  });
  expect(res.status).toBe(200);
  return (await res.json()) as never;
}

/** Sign `payload` as province `p` with its enrollment key (what a province's tooling does). */
export async function signedAs(
  fed: Federation,
  p: ProvinceState,
  payload: Record<string, unknown>,
): Promise<string> {
  const signer = await LocalKeySigner.fromPrivateJwk(JSON.parse(readFileSync(p.enrollmentKeyFile, 'utf8')));
  return signRequest(signer, {
    aud: fed.state.federationId,
    iat: now(),
    jti: encodeB64url(randomBytes(16)),
    region: p.region,
    ...payload,
  } as never);
}
