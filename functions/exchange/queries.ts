/** The exchange's read-only queries (handlers of GET routes), and how a province is shown. */
import { RequestInvalid, ResourceNotFound } from '../core/errors';
import { LIMITS } from '../core/profiles';
import type {
  FederationInfo,
  Jwks,
  LogPage,
  Province,
  ProvinceList,
  PublicJwk,
} from '../core/schemas/types.gen';
import { catchUp, type ExchangeContext } from './append';
import type { ProvinceRecord } from './repository';

const RFC3339 = (s: number) => new Date(s * 1000).toISOString().replace('.000Z', 'Z');

export function toProvince(p: ProvinceRecord): Province {
  return {
    region: p.region,
    name: p.name,
    status: p.status,
    enrollmentKid: p.enrollmentKid,
    registeredAt: RFC3339(p.registeredAt),
  };
}

/** GET /v1/provinces. */
export async function listProvinces(ctx: ExchangeContext): Promise<ProvinceList> {
  await catchUp(ctx.repository);
  const provinces = await ctx.repository.listProvinces();
  return { provinces: provinces.map(toProvince) };
}

/** GET /v1/provinces/{region}/jwks.json: the province's active, unexpired signing keys. */
export async function provinceJwks(ctx: ExchangeContext, region: string): Promise<Jwks> {
  await catchUp(ctx.repository);
  if (!(await ctx.repository.getProvince(region))) throw new ResourceNotFound('No such province');
  const now = ctx.now();
  const keys = (await ctx.repository.listKeys(region)).filter(
    (k) => k.status === 'active' && k.notAfter >= now,
  );
  return {
    keys: keys.map((k) => ({ ...k.jwk, kid: k.kid, alg: k.alg, use: 'sig' }) as PublicJwk),
  };
}

/** GET /v1/federation. */
export async function federationInfo(ctx: ExchangeContext): Promise<FederationInfo> {
  const signer = await ctx.signer();
  return {
    federation: ctx.federationId,
    keys: { keys: [{ ...signer.publicJwk, kid: signer.kid, alg: signer.alg, use: 'sig' } as PublicJwk] },
    maxKeyLifetimeSeconds: LIMITS.maxKeyLifetime,
    maxCodeLifetimeSeconds: LIMITS.maxCodeLifetime,
  };
}

/** GET /v1/log?since=&limit=: entries after `since`; `next` when more follow. */
/**
 * The bytes of entries one log page holds at most: a Lambda answer is capped at 6 MB, and one entry
 * can be tens of kilobytes (a code revocation carries its signed request), so `limit` alone could
 * build a page no gateway delivers. A page always holds at least one entry.
 */
export const LOG_PAGE_MAX_BYTES = 4 * 1024 * 1024;

export async function readLogPage(ctx: ExchangeContext, since: number, limit: number): Promise<LogPage> {
  const entries = await ctx.repository.readLog(since, limit + 1);
  if (entries.length === 0 && since > 0 && since > ((await ctx.repository.lastEntry())?.seq ?? 0)) {
    throw new RequestInvalid('since is beyond the end of the log');
  }
  let count = 0;
  let bytes = 0;
  while (count < Math.min(limit, entries.length)) {
    bytes += Buffer.byteLength(JSON.stringify(entries[count]));
    if (count > 0 && bytes > LOG_PAGE_MAX_BYTES) break;
    count++;
  }
  if (count === entries.length) return { entries };
  const page = entries.slice(0, count);
  return { entries: page, next: page[page.length - 1].seq };
}
