/**
 * Sunset at the exchange.
 *
 * - {@link sunsetProvince}: a province's signed `province.sunset` (its enrollment key): one log entry
 *   that retires every active key of the province and marks it `sunset` (its codes verify as
 *   `ISSUER_SUNSET`). A repeat answers the same entry.
 * - {@link sunsetFederation} (operator): the end of the federation. Every province still active is
 *   suspended, the `federation.sunset` entry closes the log, the trust list is signed one last time
 *   with a `sunset` marker and a short expiry and kept, every operational item (projections, nonces)
 *   is erased, the deletion report is signed with the federation key and kept, and then the
 *   federation key is destroyed (a KMS key is disabled and scheduled for deletion). Only the public,
 *   personal-data-free log, the final list and the report remain. Safe to run again: a retry carries
 *   on where the last run stopped and answers the same report.
 */
import { decideProvinceSunset, decideRetentionChange } from '../core/rules';
import { logger } from '../aws/observability';
import type {
  LogEntry,
  ProvinceRetentionRequest,
  ProvinceSunsetEntry,
  RetentionPolicy,
} from '../core/schemas/types.gen';
import { EXCHANGE_TABLE } from '../core/storage/tables';
import type { KeyShredder } from '../core/sunset/key-shredder';
import { erasedTotals, KEPT_AFTER_FEDERATION_SUNSET, signDeletionReport } from '../core/sunset/report';
import { enforce, provinceState } from './rules';
import { appendWith, authenticate, catchUp, suspendProvince, type ExchangeContext } from './service';
import type { TrustListPublisher } from './trust-list-publisher';

/** How long the final trust list is valid after the federation's sunset (seconds): one hour. */
export const FINAL_LIST_SECONDS = 3_600;

/** What a province sunset answers. */
export interface ProvinceSunsetAnswer {
  readonly region: string;
  readonly status: 'sunset';
  readonly retired: string[];
  readonly sunsetAt: number;
  readonly logHead: { readonly seq: number; readonly hash: string };
}

async function findSunsetEntry(ctx: ExchangeContext, region: string): Promise<LogEntry | undefined> {
  // The entry is near the head (a retry follows its first try closely): read back from the head.
  const head = await ctx.repository.lastEntry();
  for (let after = Math.max(0, (head?.seq ?? 0) - 1000); ; after = Math.max(0, after - 1000)) {
    const page = await ctx.repository.readLog(after, 1000);
    const found = page.find((e) => e.type === 'province.sunset' && e.region === region);
    if (found || after === 0) return found;
  }
}

/** POST /v1/provinces/{region}/sunset: a signed `province.sunset`. */
export async function sunsetProvince(
  ctx: ExchangeContext,
  region: string,
  jws: unknown,
): Promise<ProvinceSunsetAnswer> {
  await authenticate(ctx, jws, 'province.sunset', region);
  let entry = await appendWith(
    ctx,
    async (seq) => {
      if (!enforce(decideProvinceSunset(provinceState(await ctx.repository.getProvince(region))))) {
        return undefined;
      }
      const retired = (await ctx.repository.listKeys(region))
        .filter((k) => k.status === 'active')
        .map((k) => k.kid);
      // The province's own signed request, verbatim: the entry is self-authenticating.
      return {
        seq,
        at: ctx.now(),
        type: 'province.sunset',
        region,
        data: { retired, request: jws as string },
      };
    },
    region,
  );
  if (entry) await ctx.afterChange?.();
  entry ??= await findSunsetEntry(ctx, region);
  const sunset = entry as ProvinceSunsetEntry;
  return {
    region,
    status: 'sunset',
    retired: sunset.data.retired,
    sunsetAt: sunset.at,
    logHead: { seq: sunset.seq, hash: sunset.hash },
  };
}

/** What the federation sunset needs beyond the exchange context. */
export interface FederationSunsetContext extends ExchangeContext {
  readonly trustLists: TrustListPublisher;
  /** Destroys the federation key (a local file, or the KMS key). */
  readonly federationKeyShredder?: KeyShredder;
}

/** What a federation sunset answers. */
export interface FederationSunsetAnswer {
  readonly status: 'sunset';
  /** The signed deletion report (compact JWS). */
  readonly report: string;
  /** The final signed trust list (sunset marker, short expiry). */
  readonly trustList: string;
}

/** POST /v1/federation/sunset (operator): end the federation (see the module comment). */
export async function sunsetFederation(ctx: FederationSunsetContext): Promise<FederationSunsetAnswer> {
  const done = await ctx.repository.getDeletionReport();
  if (done) {
    await ctx.federationKeyShredder?.destroy();
    return {
      status: 'sunset',
      report: done,
      trustList: (await ctx.repository.getFinalTrustList()) as string,
    };
  }
  let head = await catchUp(ctx.repository);
  if (head?.type !== 'federation.sunset') {
    for (const p of await ctx.repository.listProvinces()) {
      // Published once, after the sunset entry (below): no deltas or lists for the steps on the way.
      if (p.status === 'active') await suspendProvince({ ...ctx, afterChange: undefined }, p.region);
    }
    const at = ctx.now();
    head = await appendWith(ctx, async (seq) => ({
      seq,
      at,
      type: 'federation.sunset',
      data: { finalListExpiresAt: at + FINAL_LIST_SECONDS },
    }));
  }
  const sunsetEntry = head as LogEntry;
  // The last list the federation signs: kept, and served until it expires.
  const finalList = (await ctx.trustLists.current()).jws;
  await ctx.repository.putFinalTrustList(finalList);
  await ctx.afterChange?.();
  // Counted and kept before the erasure: a retry after a crash between the erasure and the report
  // reports what was erased, not 0.
  const tally = await ctx.repository.keepErasureTally(() => ctx.repository.countOperationalData());
  const erased = erasedTotals(tally, await ctx.repository.eraseOperationalData());
  const signer = await ctx.signer();
  const issuedAt = ctx.now();
  const report = await signDeletionReport(signer, {
    federation: ctx.federationId,
    scope: 'federation',
    issuedAt,
    sunsetAt: sunsetEntry.at,
    logHead: { seq: sunsetEntry.seq, hash: sunsetEntry.hash },
    tables: erased.map((e) => ({ table: EXCHANGE_TABLE.id, kind: e.kind, count: e.count })),
    keys: ctx.federationKeyShredder ? await ctx.federationKeyShredder.plan(issuedAt) : [],
    kept: [...KEPT_AFTER_FEDERATION_SUNSET],
  });
  await ctx.repository.putDeletionReport(report);
  await ctx.federationKeyShredder?.destroy();
  logger.info('federation sunset', { seq: sunsetEntry.seq, erased: erased.reduce((n, e) => n + e.count, 0) });
  return { status: 'sunset', report, trustList: finalList };
}

/** What a retention change answers. */
export interface ProvinceRetentionAnswer {
  readonly region: string;
  readonly retention: RetentionPolicy;
  /** seq of the `province.retention` entry. */
  readonly seq: number;
}

/**
 * POST /v1/provinces/{region}/retention: a signed `province.retention` (enrollment key) appends the
 * entry `province.retention` carrying the request verbatim; the trust list shows the new policy.
 */
export async function setProvinceRetention(
  ctx: ExchangeContext,
  region: string,
  jws: unknown,
): Promise<ProvinceRetentionAnswer> {
  const { payload } = await authenticate(ctx, jws, 'province.retention', region);
  const { retention } = payload as ProvinceRetentionRequest;
  const entry = (await appendWith(
    ctx,
    async (seq) => {
      enforce(decideRetentionChange(provinceState(await ctx.repository.getProvince(region))));
      return {
        seq,
        at: ctx.now(),
        type: 'province.retention',
        region,
        data: { retention, request: jws as string },
      };
    },
    region,
  )) as LogEntry;
  await ctx.afterChange?.();
  return { region, retention, seq: entry.seq };
}
