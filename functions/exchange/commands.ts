/**
 * The exchange's commands: every change a province or the operator may ask for, each one appended
 * through {@link appendWith} after its acceptance rules held against the state at the head.
 */
import { RequestInvalid, ResourceConflict } from '../core/errors';
import { LIMITS } from '../core/profiles';
import {
  codeRevocationsRefusal,
  decideCodeRevocation,
  decideKeyPublication,
  decideKeyRevocation,
  decideReenrollment,
  decideRegistration,
  decideResumption,
  decideSuspension,
  revocationLive,
} from '../core/rules';
import type {
  CodeRevokeRequest,
  KeyPublishRequest,
  KeyRevokeRequest,
  LogEntry,
  Province,
  ProvinceRegistration,
  PublicJwk,
  SigningAlg,
} from '../core/schemas/types.gen';
import { intake } from '../core/signed-request';
import { appendWith, type ExchangeContext } from './append';
import type { ProvinceRecord } from './repository';
import { toProvince } from './queries';
import {
  authenticate,
  checkKeyWindow,
  enforce,
  kidHolders,
  MAX_LIVE_CODE_REVOCATIONS_PER_PROVINCE,
  provinceState,
} from './rules';

/** POST /v1/provinces (operator): register a province with its enrollment key. */
export async function registerProvince(
  ctx: ExchangeContext,
  registration: ProvinceRegistration,
): Promise<Province> {
  const key = await intake(registration.enrollmentKey);
  const entry = await appendWith(ctx, async (seq) => {
    const decision = decideRegistration({
      province: provinceState(await ctx.repository.getProvince(registration.region)),
      kid: key.kid,
      holders: await kidHolders(ctx, key.kid),
      provinces: (await ctx.repository.listProvinces()).length,
    });
    enforce(decision);
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
    if (!enforce(decideSuspension(provinceState(province)))) return undefined;
    return { seq, at: ctx.now(), type: 'province.suspended', region, data: {} };
  });
  if (entry) await ctx.afterChange?.();
  const version = entry?.seq ?? (await ctx.repository.lastEntry())?.seq ?? 0;
  return { region, status: 'suspended', version };
}

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
    const province = provinceState(await ctx.repository.getProvince(region));
    const holders = await kidHolders(ctx, key.kid);
    enforce(decideReenrollment({ province, kid: key.kid, holders }), {
      PROVINCE_NOT_SUSPENDED: 'Only a suspended province can be re-enrolled: suspend it first',
      TOO_MANY_ENROLLMENT_KEYS: 'The province has had too many enrollment keys',
    });
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
    if (!enforce(decideResumption(provinceState(province)))) return undefined;
    return { seq, at: ctx.now(), type: 'province.resumed', region, data: {} };
  });
  if (entry) await ctx.afterChange?.();
  const version = entry?.seq ?? (await ctx.repository.lastEntry())?.seq ?? 0;
  return { region, status: 'active', version };
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
      const decision = decideKeyPublication({
        province: provinceState(await ctx.repository.getProvince(region)),
        kid: key.kid,
        holders: await kidHolders(ctx, key.kid),
        keys: (await ctx.repository.listKeys(region)).length,
      });
      enforce(decision);
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
      // Only the region's own keys are found: another province's key is "not found" here.
      const decision = decideKeyRevocation({
        province: provinceState(await ctx.repository.getProvince(region)),
        key: await ctx.repository.getKey(region, kid),
        reason: request.reason,
      });
      enforce(decision, { NOT_FOUND: 'The province has no such key' });
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

/**
 * POST /v1/provinces/{region}/code-revocations: a signed `code.revoke` of one code (the schema
 * allows exactly one). Its entry keeps the request verbatim and takes the request's `iat` as
 * `revokedAt`: every holder checks the row against the province's signature (province-signature.ts).
 */
export async function revokeCodes(ctx: ExchangeContext, region: string, jws: unknown): Promise<RevokedCodes> {
  const { payload } = await authenticate(ctx, jws, 'code.revoke', region);
  const request = payload as CodeRevokeRequest;
  const now = ctx.now();
  const fresh = new Set(request.codes.filter((c) => revocationLive(c.exp, now)).map((c) => c.jti));
  // Checked before anything is written; codes with a status index are revoked by status.publish.
  const refusal = codeRevocationsRefusal(
    request.codes,
    fresh.size,
    fresh.size > 0 ? await ctx.repository.countLiveCodeRevocations(region, now) : 0,
    now,
  );
  if (refusal === 'REQUEST_INVALID') {
    throw new RequestInvalid('A code expiry is beyond the longest code lifetime');
  }
  if (refusal) {
    throw new ResourceConflict(
      refusal,
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
    if (!revocationLive(code.exp, now)) {
      expired++;
      continue;
    }
    const entry = await appendWith(
      ctx,
      async (seq) => {
        const decision = decideCodeRevocation({
          province: provinceState(await ctx.repository.getProvince(region)),
          exp: code.exp,
          revoked: await ctx.repository.isCodeRevoked(region, code.jti),
          now,
        });
        // EXPIRED cannot come back here: the code was live at `now` above.
        if (decision === 'EXPIRED' || !enforce(decision)) return undefined;
        return {
          seq,
          at: ctx.now(),
          type: 'code.revoked',
          region,
          // The province's own signed request, verbatim: what makes the entry self-authenticating.
          data: { jti: code.jti, exp: code.exp, revokedAt: request.iat, request: jws as string },
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
