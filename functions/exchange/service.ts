/**
 * The exchange's domain: every rule about who may publish, revoke and register what, as functions
 * over an {@link ExchangeRepository}. Handlers only call these.
 *
 * Every mutation goes through {@link appendWith}: read the log head, make sure the projections are
 * written through it (repairing whatever a writer killed between two writes left undone), check
 * the rule against that state, and append the entry at head + 1 with a conditional write. A writer
 * that loses the race re-reads and re-checks, so concurrent requests end with exactly one winner
 * and a log that is never forked or gapped.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { JwsProfile } from '../core/jws/compact';
import {
  AuthenticationFailed,
  HcxError,
  KeyRejected,
  RequestInvalid,
  ResourceConflict,
  ResourceNotFound,
  ServiceUnavailable,
} from '../core/errors';
import { shortKid } from '../core/keys';
import { errorLogAttributes, logger } from '../aws/observability';
import { throwIfPastDeadline } from '../core/invocation';
import { LIMITS } from '../core/profiles';
import type {
  CodeRevokeRequest,
  FederationInfo,
  Jwks,
  KeyPublishRequest,
  KeyRevokeRequest,
  LogEntry,
  LogPage,
  Province,
  ProvinceList,
  ProvinceRegistration,
  PublicJwk,
  SigningAlg,
} from '../core/schemas/types.gen';
import {
  intake,
  verifySignedRequest,
  type SignedOperation,
  type VerifiedRequest,
} from '../core/signed-request';
import type { Signer } from '../core/signer';
import { makeEntry, type LogEntryInput } from '../core/trustlist/log';
import { turnsFor } from './fair-turns';
import type { ExchangeRepository, ProvinceRecord } from './repository';

/** What the domain functions need (a subset of ExchangeDeps). */
export interface ExchangeContext {
  readonly repository: ExchangeRepository;
  readonly federationId: string;
  /** The federation signer (created on first use). */
  readonly signer: () => Promise<Signer>;
  /** NumericDate seconds. */
  readonly now: () => number;
  /**
   * Called after a mutation appended to the log, before it answers (publishes the trust list to S3
   * in AWS). Must not throw: the change is committed whatever happens to its publication.
   */
  readonly afterChange?: () => Promise<void>;
}

/** Most provinces a federation holds (the trust-list schema's cap). */
export const MAX_PROVINCES = 64;
/**
 * Most live code revocations by jti one province may hold (codes without a status index: those
 * issued before status indices, docs/scale.md). With the segment cap it bounds the signed list.
 */
export const MAX_LIVE_CODE_REVOCATIONS_PER_PROVINCE = 1000;
/** Most signing keys one province may have published (the trust-list schema's cap). */
export const MAX_KEYS_PER_PROVINCE = 256;
/** Attempts at appending before answering a retryable 503 (each lost race is one attempt). */
const MAX_APPEND_ATTEMPTS = 100;

const RFC3339 = (s: number) => new Date(s * 1000).toISOString().replace('.000Z', 'Z');

/** Write the projections through the log head and return the head entry (undefined: empty log). */
export async function catchUp(repository: ExchangeRepository): Promise<LogEntry | undefined> {
  const head = await repository.lastEntry();
  if (!head) return undefined;
  // After the federation's sunset the projections are erased on purpose: never rebuild them.
  if (head.type === 'federation.sunset') return head;
  let projected = await repository.projectedThrough();
  while (projected < head.seq) {
    const entries = await repository.readLog(projected, Math.min(head.seq - projected, 500));
    if (entries.length === 0) break;
    await repository.project(entries);
    projected = entries[entries.length - 1].seq;
  }
  return head;
}

/**
 * Append the entry `decide` makes at the next seq, after checking its rule against the state at the
 * head (decide throws the domain error, or returns undefined when there is nothing to do).
 */
export async function appendWith(
  ctx: ExchangeContext,
  decide: (seq: number) => Promise<LogEntryInput | undefined>,
  lane = 'operator',
): Promise<LogEntry | undefined> {
  // One turn at the tail at a time in this process, round robin by province (fair-turns.ts).
  const endTurn = await turnsFor(ctx.repository).acquire(lane);
  try {
    return await appendInTurn(ctx, decide);
  } finally {
    endTurn();
  }
}

async function appendInTurn(
  ctx: ExchangeContext,
  decide: (seq: number) => Promise<LogEntryInput | undefined>,
): Promise<LogEntry | undefined> {
  for (let attempt = 0; attempt < MAX_APPEND_ATTEMPTS; attempt++) {
    // Past the request's deadline the caller has been answered 504: start nothing new.
    throwIfPastDeadline();
    const head = await catchUp(ctx.repository);
    if (head?.type === 'federation.sunset') throw federationEnded();
    const input = await decide((head?.seq ?? 0) + 1);
    if (!input) return undefined;
    const entry = makeEntry(head, input);
    throwIfPastDeadline();
    if (await ctx.repository.appendEntry(entry)) {
      try {
        await ctx.repository.project([entry]);
      } catch (e) {
        // The entry is in the ledger, so the request succeeded; the next writer or reader projects it.
        logger.warn('projection deferred', { ...errorLogAttributes(e), seq: entry.seq });
      }
      logger.info('log entry appended', {
        seq: entry.seq,
        entryType: entry.type,
        ...('region' in entry ? { region: entry.region } : {}),
      });
      return entry;
    }
    // Lost the race for this seq: back off a little, then re-read and re-check.
    await sleep(Math.floor(Math.random() * 5 * Math.min(attempt + 1, 10)));
  }
  throw new ServiceUnavailable(new Error('log append kept losing the race'));
}

/** What every change answers once the federation has ended (410 FEDERATION_SUNSET). */
export function federationEnded(): HcxError {
  return new HcxError('FEDERATION_SUNSET');
}

/** Verify a signed request against the registry (see verifySignedRequest), logging why it failed. */
export async function authenticate(
  ctx: ExchangeContext,
  jws: unknown,
  op: SignedOperation,
  pathRegion: string,
  profile?: JwsProfile,
): Promise<VerifiedRequest> {
  try {
    return await verifySignedRequest(jws, {
      ...(profile ? { profile } : {}),
      federationId: ctx.federationId,
      op,
      pathRegion,
      now: ctx.now(),
      enrollmentKeyFor: async (region) => {
        await catchUp(ctx.repository);
        const p = await ctx.repository.getProvince(region);
        return p && { kid: p.enrollmentKid, alg: p.enrollmentAlg, jwk: p.enrollmentJwk, status: p.status };
      },
      consumeNonce: (jti, expiresAt) => ctx.repository.consumeNonce(jti, expiresAt),
    });
  } catch (e) {
    if (e instanceof AuthenticationFailed)
      logger.warn('signed request refused', { reason: e.reason, op, region: pathRegion });
    throw e;
  }
}

export async function activeProvince(ctx: ExchangeContext, region: string): Promise<ProvinceRecord> {
  const province = await ctx.repository.getProvince(region);
  // Authentication already established the province; it may have been suspended since.
  if (!province || province.status !== 'active') throw new AuthenticationFailed('PROVINCE_NOT_ACTIVE');
  return province;
}

function toProvince(p: ProvinceRecord): Province {
  return {
    region: p.region,
    name: p.name,
    status: p.status,
    enrollmentKid: p.enrollmentKid,
    registeredAt: RFC3339(p.registeredAt),
  };
}

/**
 * Refuse a key the federation already knows (`KEY_ALREADY_KNOWN`): any province's enrollment or
 * signing key (the kid index) or a key of the federation itself, for any role (kids are RFC 7638
 * thumbprints, so the same key material always has the same kid); or one whose short kid (the
 * first 11 characters of its thumbprint, what an HCX2 code names) another key already has
 * (`SHORT_KID_TAKEN`): every short kid in the trust list then names exactly one key and province.
 * Enrollment keys count too, so one check covers both kinds.
 */
async function refuseKnownKid(ctx: ExchangeContext, kid: string): Promise<void> {
  const federationKid = (await ctx.signer()).kid;
  if (kid === federationKid || (await ctx.repository.kidOwner(kid))) {
    throw new ResourceConflict('KEY_ALREADY_KNOWN');
  }
  const owner = await ctx.repository.shortKidOwner(shortKid(kid));
  if (owner && owner.kid !== kid) {
    throw new ResourceConflict('SHORT_KID_TAKEN');
  }
}

/** POST /v1/provinces (operator): register a province with its enrollment key. */
export async function registerProvince(
  ctx: ExchangeContext,
  registration: ProvinceRegistration,
): Promise<Province> {
  const key = await intake(registration.enrollmentKey);
  const entry = await appendWith(ctx, async (seq) => {
    if (await ctx.repository.getProvince(registration.region)) {
      throw new ResourceConflict('PROVINCE_EXISTS');
    }
    await refuseKnownKid(ctx, key.kid);
    if ((await ctx.repository.listProvinces()).length >= MAX_PROVINCES) {
      throw new ResourceConflict('FEDERATION_FULL');
    }
    return {
      seq,
      at: ctx.now(),
      type: 'province.registered',
      region: registration.region,
      data: {
        name: registration.name,
        enrollmentKey: { ...key.jwk, kid: key.kid, alg: key.alg } as PublicJwk,
        ...(registration.retention ? { retention: registration.retention } : {}),
      },
    };
  });
  await ctx.afterChange?.();
  const at = (entry as LogEntry).at;
  return toProvince({
    region: registration.region,
    name: registration.name,
    status: 'active',
    enrollmentKid: key.kid,
    enrollmentAlg: key.alg,
    enrollmentJwk: key.jwk,
    registeredAt: at,
    enrollments: 1,
  });
}

/** What a suspension answers. */
export interface SuspendedProvince {
  readonly region: string;
  readonly status: 'suspended';
  /** Log size after the request (a repeated suspension changes nothing). */
  readonly version: number;
}

/**
 * POST /v1/provinces/{region}/suspend (operator): the province's signed requests are refused from
 * now on, and its codes verify as ISSUER_SUSPENDED once a verifier has the new list. Idempotent.
 */
export async function suspendProvince(ctx: ExchangeContext, region: string): Promise<SuspendedProvince> {
  const entry = await appendWith(ctx, async (seq) => {
    const province = await ctx.repository.getProvince(region);
    if (!province) throw new ResourceNotFound('No such province');
    if (province.status === 'suspended') return undefined;
    return { seq, at: ctx.now(), type: 'province.suspended', region, data: {} };
  });
  if (entry) await ctx.afterChange?.();
  const version = entry?.seq ?? (await ctx.repository.lastEntry())?.seq ?? 0;
  return { region, status: 'suspended', version };
}

/** Most enrollment keys a province may have had (the trust-list schema's cap): 15 re-enrollments. */
export const MAX_ENROLLMENT_KEYS = 16;

/**
 * POST /v1/provinces/{region}/enrollment-key (operator): a suspended province whose enrollment key
 * leaked gets a new one. From this entry on the old key signs nothing: the exchange checks requests
 * against the new key only (`KID_MISMATCH` for the old one), and every verifier of the list checks
 * a province request against the enrollment key whose validity covers its `iat` (the old key's ends
 * at this entry). The province stays suspended until {@link resumeProvince}.
 */
export async function reenrollProvince(
  ctx: ExchangeContext,
  region: string,
  enrollmentKey: PublicJwk,
): Promise<Province> {
  const key = await intake(enrollmentKey);
  await appendWith(ctx, async (seq) => {
    const province = await ctx.repository.getProvince(region);
    if (!province) throw new ResourceNotFound('No such province');
    if (province.status !== 'suspended') {
      throw new ResourceConflict(
        'PROVINCE_NOT_SUSPENDED',
        'Only a suspended province can be re-enrolled: suspend it first',
      );
    }
    await refuseKnownKid(ctx, key.kid);
    if (province.enrollments >= MAX_ENROLLMENT_KEYS) {
      throw new ResourceConflict('TOO_MANY_ENROLLMENT_KEYS', 'The province has had too many enrollment keys');
    }
    return {
      seq,
      at: ctx.now(),
      type: 'province.reenrolled',
      region,
      data: { enrollmentKey: { ...key.jwk, kid: key.kid, alg: key.alg } as PublicJwk },
    };
  });
  await ctx.afterChange?.();
  return toProvince((await ctx.repository.getProvince(region)) as ProvinceRecord);
}

/** What a resumption answers. */
export interface ResumedProvince {
  readonly region: string;
  readonly status: 'active';
  /** Log size after the request (resuming an active province changes nothing). */
  readonly version: number;
}

/**
 * POST /v1/provinces/{region}/resume (operator): a suspended province's signed requests are accepted
 * again (with its current enrollment key) and its codes verify once a verifier has the new list.
 * Idempotent for an active province; `410 PROVINCE_SUNSET` for one that ended its service.
 */
export async function resumeProvince(ctx: ExchangeContext, region: string): Promise<ResumedProvince> {
  const entry = await appendWith(ctx, async (seq) => {
    const province = await ctx.repository.getProvince(region);
    if (!province) throw new ResourceNotFound('No such province');
    if (province.status === 'active') return undefined;
    if (province.status === 'sunset') throw new HcxError('PROVINCE_SUNSET');
    return { seq, at: ctx.now(), type: 'province.resumed', region, data: {} };
  });
  if (entry) await ctx.afterChange?.();
  const version = entry?.seq ?? (await ctx.repository.lastEntry())?.seq ?? 0;
  return { region, status: 'active', version };
}

/** The validity window rules of a published key (pure). */
export function checkKeyWindow(notBefore: number, notAfter: number, now: number): void {
  if (notAfter <= notBefore)
    throw new KeyRejected('BAD_VALIDITY', 'BAD_VALIDITY: notAfter must be after notBefore');
  if (notAfter - notBefore > LIMITS.maxKeyLifetime) {
    throw new KeyRejected(
      'LIFETIME_TOO_LONG',
      'LIFETIME_TOO_LONG: the key lifetime is longer than the federation allows',
    );
  }
  if (notBefore < now - LIMITS.clockSkew)
    throw new KeyRejected('NOT_BEFORE_IN_PAST', 'NOT_BEFORE_IN_PAST: notBefore is in the past');
  if (notBefore > now + LIMITS.maxKeyLifetime) {
    throw new KeyRejected('NOT_BEFORE_TOO_FAR', 'NOT_BEFORE_TOO_FAR: notBefore is too far in the future');
  }
}

/** What a key publication answers. */
export interface PublishedKey {
  readonly region: string;
  readonly kid: string;
  readonly alg: string;
  readonly notBefore: number;
  readonly notAfter: number;
  readonly status: 'active';
  /** The log entry (and trust-list version) that published it. */
  readonly seq: number;
}

/** POST /v1/provinces/{region}/keys: a signed `key.publish`. */
export async function publishKey(ctx: ExchangeContext, region: string, jws: unknown): Promise<PublishedKey> {
  const { payload, key } = await authenticate(ctx, jws, 'key.publish', region);
  const request = payload as KeyPublishRequest;
  if (!key) throw new RequestInvalid('The request carries no key');
  checkKeyWindow(request.notBefore, request.notAfter, ctx.now());
  const entry = (await appendWith(
    ctx,
    async (seq) => {
      await activeProvince(ctx, region);
      await refuseKnownKid(ctx, key.kid);
      if ((await ctx.repository.listKeys(region)).length >= MAX_KEYS_PER_PROVINCE) {
        throw new ResourceConflict('TOO_MANY_KEYS');
      }
      return {
        seq,
        at: ctx.now(),
        type: 'key.published',
        region,
        data: {
          kid: key.kid,
          alg: key.alg as SigningAlg,
          jwk: key.jwk as PublicJwk,
          notBefore: request.notBefore,
          notAfter: request.notAfter,
          // The province's own signed request, verbatim: what makes the entry self-authenticating.
          request: jws as string,
        },
      };
    },
    region,
  )) as LogEntry;
  await ctx.afterChange?.();
  return {
    region,
    kid: key.kid,
    alg: key.alg,
    notBefore: request.notBefore,
    notAfter: request.notAfter,
    status: 'active',
    seq: entry.seq,
  };
}

/** What a key revocation answers. */
export interface RevokedKey {
  readonly region: string;
  readonly kid: string;
  readonly status: 'revoked';
  readonly reason: string;
  readonly revokedAt: number;
  readonly seq: number;
}

/** POST /v1/provinces/{region}/keys/{kid}/revoke: a signed `key.revoke`. */
export async function revokeKey(
  ctx: ExchangeContext,
  region: string,
  kid: string,
  jws: unknown,
): Promise<RevokedKey> {
  const { payload } = await authenticate(ctx, jws, 'key.revoke', region);
  const request = payload as KeyRevokeRequest;
  if (request.kid !== kid) throw new RequestInvalid('The signed kid is not the path kid');
  if (request.revokedAt > ctx.now() + LIMITS.clockSkew)
    throw new RequestInvalid('revokedAt is in the future');
  const entry = (await appendWith(
    ctx,
    async (seq) => {
      await activeProvince(ctx, region);
      // Only the region's own keys are found: another province's key is "not found" here.
      const key = await ctx.repository.getKey(region, kid);
      if (!key) throw new ResourceNotFound('The province has no such key');
      // A revoked key changes once more only to become compromised (a superseded or retired key that
      // was stolen later); never the other way, and never twice.
      const escalation =
        key.status === 'revoked' && key.reason !== 'compromised' && request.reason === 'compromised';
      if (key.status !== 'active' && !escalation) throw new ResourceConflict('KEY_ALREADY_REVOKED');
      return {
        seq,
        at: ctx.now(),
        type: 'key.revoked',
        region,
        data: { kid, reason: request.reason, revokedAt: request.revokedAt, request: jws as string },
      };
    },
    region,
  )) as LogEntry;
  await ctx.afterChange?.();
  return {
    region,
    kid,
    status: 'revoked',
    reason: request.reason,
    revokedAt: request.revokedAt,
    seq: entry.seq,
  };
}

/** What a code revocation answers (counts only: code ids stay out of answers and logs). */
export interface RevokedCodes {
  /** Codes newly revoked by this request. */
  readonly revoked: number;
  /** Codes that were revoked already (a retried request). */
  readonly alreadyRevoked: number;
  /** Codes already expired: a revocation would change nothing. */
  readonly expired: number;
  /** Log size after the request. */
  readonly version: number;
}

/** POST /v1/provinces/{region}/code-revocations: a signed `code.revoke`. */
export async function revokeCodes(ctx: ExchangeContext, region: string, jws: unknown): Promise<RevokedCodes> {
  const { payload } = await authenticate(ctx, jws, 'code.revoke', region);
  const request = payload as CodeRevokeRequest;
  const now = ctx.now();
  // A code cannot outlive the federation's maximum: a revocation claiming so would pin an entry in
  // every trust list for longer than any code can verify.
  if (request.codes.some((c) => c.exp > now + LIMITS.maxCodeLifetime + LIMITS.clockSkew)) {
    throw new RequestInvalid('A code expiry is beyond the longest code lifetime');
  }
  const fresh = new Set(request.codes.filter((c) => c.exp + LIMITS.clockSkew >= now).map((c) => c.jti));
  if (
    fresh.size > 0 &&
    (await ctx.repository.countLiveCodeRevocations(region, now)) + fresh.size >
      MAX_LIVE_CODE_REVOCATIONS_PER_PROVINCE
  ) {
    // Checked before anything is written; codes with a status index are revoked by status.publish.
    throw new ResourceConflict(
      'CODE_REVOCATIONS_FULL',
      `at most ${MAX_LIVE_CODE_REVOCATIONS_PER_PROVINCE} live; revoke by status index`,
    );
  }
  let revoked = 0;
  let alreadyRevoked = 0;
  let expired = 0;
  let version = 0;
  const seen = new Set<string>();
  for (const code of request.codes) {
    if (seen.has(code.jti)) continue;
    seen.add(code.jti);
    if (code.exp + LIMITS.clockSkew < now) {
      expired++;
      continue;
    }
    const entry = await appendWith(
      ctx,
      async (seq) => {
        await activeProvince(ctx, region);
        if (await ctx.repository.isCodeRevoked(region, code.jti)) return undefined;
        return {
          seq,
          at: ctx.now(),
          type: 'code.revoked',
          region,
          data: { jti: code.jti, exp: code.exp, revokedAt: now },
        };
      },
      region,
    );
    if (entry) {
      revoked++;
      version = entry.seq;
    } else alreadyRevoked++;
  }
  // One publication for the whole request, not one per code.
  if (revoked > 0) await ctx.afterChange?.();
  if (version === 0) version = (await ctx.repository.lastEntry())?.seq ?? 0;
  return { revoked, alreadyRevoked, expired, version };
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
export async function readLogPage(ctx: ExchangeContext, since: number, limit: number): Promise<LogPage> {
  const entries = await ctx.repository.readLog(since, limit + 1);
  if (entries.length === 0 && since > 0 && since > ((await ctx.repository.lastEntry())?.seq ?? 0)) {
    throw new RequestInvalid('since is beyond the end of the log');
  }
  if (entries.length <= limit) return { entries };
  const page = entries.slice(0, limit);
  return { entries: page, next: page[page.length - 1].seq };
}
