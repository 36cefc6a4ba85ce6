/**
 * The province node's code services: issue, verify, describe, revoke, erase. Handlers are thin
 * adapters over these; each takes the node's dependencies explicitly.
 */
import type { QRCodeSegment } from 'qrcode';
import { qrSegments } from '../core/code/format';
import { issueCode } from '../core/code/issue';
import { verifyCode } from '../core/code/verify';
import { HcxError, RequestInvalid, ResourceNotFound, toHcxError } from '../core/errors';
import { LIMITS } from '../core/profiles';
import { metrics } from '../aws/observability';
import { assertValid, isIssueRequest, isValidResidentId } from '../core/schemas/validators';
import type {
  IssueRequest,
  IssueResponse,
  RetentionPolicy,
  RevokedCode,
  VerificationRequest,
  VerificationResult,
} from '../core/schemas/types.gen';
import type { ProvinceDeps } from './deps';
import { revokeCodes } from './exchange-client';
import type { CodeRecord, ErasedCode, PendingRevocation } from './repository';
import { revokeByStatus } from './status';
import { isoTime } from '../core/time';

/**
 * The most codes one signed `code.revoke` may carry (schemas/signed-request.json): one, because the
 * log entry and the trust-list row keep the request verbatim (self-authenticating revocations).
 */
export const MAX_CODES_PER_REVOCATION = 1;

/** The most pending revocations one scheduled run publishes. */
export const PENDING_REVOCATIONS_PER_RUN = 100;

/**
 * The lifetime of a requested code under the province's retention policy: a code longer than the
 * policy allows is refused (`RETENTION_EXCEEDED`); without `validitySeconds` the default lifetime,
 * shortened to the policy's maximum.
 */
export function codeLifetime(deps: Pick<ProvinceDeps, 'retention'>, request: IssueRequest): number {
  const max = deps.retention.maxCodeLifetimeSeconds;
  if (request.validitySeconds === undefined) return Math.min(LIMITS.defaultCodeLifetime, max);
  if (request.validitySeconds > max) {
    throw new HcxError('RETENTION_EXCEEDED', {
      detail: `validitySeconds is at most ${max} at this province`,
    });
  }
  return request.validitySeconds;
}

/** Issuance after the province's sunset: 410. */
export function provinceEnded(): HcxError {
  return new HcxError('PROVINCE_SUNSET');
}

/**
 * Validate an issue request: a resident ID number (type 10) with a wrong GB 11643 check character
 * gets its own clear message, then the issue-request schema decides.
 */
export function validIssueRequest(value: unknown): IssueRequest {
  const holder = (value as { holder?: { idType?: unknown; idNumber?: unknown } } | null)?.holder;
  if (
    holder?.idType === '10' &&
    typeof holder.idNumber === 'string' &&
    /^[0-9]{17}[0-9Xx]$/.test(holder.idNumber) &&
    !isValidResidentId(holder.idNumber)
  ) {
    throw new RequestInvalid(
      '/holder/idNumber: not a valid resident ID number (GB 11643 birth date or check character)',
    );
  }
  return assertValid(isIssueRequest, value);
}

/** Issue a code: sign the minimal claims, render the QR, keep only the record. */
export async function issue(deps: ProvinceDeps, request: IssueRequest): Promise<IssueResponse> {
  if (await deps.repository.getSunset()) throw provinceEnded();
  const validitySeconds = codeLifetime(deps, request);
  const signer = await deps.issuer.activeSigner();
  // An HCX1 code has no status index (its claim set has none): it is revoked by id (`code.revoke`).
  const format = deps.codeFormat;
  const statusIndex = format === 'HCX1' ? undefined : await deps.statusIndices.allocate();
  const issued = await issueCode(
    signer,
    { ...request, validitySeconds },
    { issuer: deps.region, now: deps.now(), format, ...(statusIndex !== undefined ? { statusIndex } : {}) },
  );
  const { claims } = issued;
  // Loaded here, not at module scope: of the province's functions only the issuer draws QR codes.
  const { default: QRCode } = await import('qrcode');
  // Numeric mode for an HCX2 JWS (two digits a character): the format's QR form, docs/code-format.md;
  // an HCX1 code in byte mode, its own QR text.
  const qr = await QRCode.toString(qrSegments(issued.code) as QRCodeSegment[], {
    type: 'svg',
    errorCorrectionLevel: 'M',
    margin: 4,
  });
  const record: CodeRecord = {
    codeId: issued.codeId,
    region: deps.region,
    healthStatus: claims.st,
    status: 'issued',
    issuedAt: claims.iat,
    expiresAt: claims.exp,
    kid: signer.kid,
    holder: issued.holderBinding,
    ...(statusIndex !== undefined ? { statusIndex } : {}),
    ...(request.reason !== undefined ? { reason: request.reason } : {}),
  };
  // Kept until the code expires, plus what the retention policy allows (0 by default).
  await deps.repository.putCode(record, claims.exp + deps.retention.keepAfterExpirySeconds);
  metrics.addMetric('CodesIssued', 'Count', 1);
  return { code: issued.code, codeId: issued.codeId, expiresAt: isoTime(claims.exp), qr };
}

/**
 * Verify any province's code against the cached registry; counts results, stores nothing. A holder
 * check (run only for an otherwise valid code) is first counted against the caller's limit
 * (caller-limit.ts: 429 HOLDER_CHECKS_PER_CALLER), then bounded per process (holder-gate.ts).
 * `caller` is asked only then: a verification without a holder does no caller work.
 */
export async function verify(
  deps: ProvinceDeps,
  request: VerificationRequest,
  caller: () => string = () => 'unknown',
): Promise<VerificationResult> {
  const snapshot = await deps.registry.snapshot();
  const limit = deps.callerLimit;
  const result = await verifyCode(request.code, snapshot, {
    now: deps.now(),
    ...(request.holder ? { holder: request.holder } : {}),
    holderCheck:
      limit && request.holder
        ? async (binding, idType, idNumber) => {
            await limit.take(caller());
            return deps.holderCheck(binding, idType, idNumber);
          }
        : deps.holderCheck,
  });
  // Aggregate counters only: the result and its reason codes, never the code or the holder.
  metrics.addMetric(`Verify_${result.result}`, 'Count', 1);
  for (const r of result.reasons) metrics.addMetric(`VerifyReason_${r.code}`, 'Count', 1);
  return result;
}

/** What is held about one code, as the API shows it (times as RFC 3339). */
export interface CodeView {
  readonly codeId: string;
  readonly region: string;
  readonly healthStatus: string;
  readonly status: 'issued' | 'revoked';
  readonly issuedAt: string;
  readonly expiresAt: string;
  readonly kid: string;
  /** The holder pseudonym held: the code's own binding (slow salted derivation). */
  readonly holderBinding: { readonly alg: string; readonly salt: string; readonly tag: string };
  readonly reason?: string;
  readonly revokedAt?: string;
  /** `pending` until the revocation reached the exchange. */
  readonly revocation?: 'pending' | 'published' | 'not-needed';
}

/** What revoking an erased code answers: only what is still held. */
export interface ErasedCodeView {
  readonly codeId: string;
  readonly region: string;
  readonly status: 'issued' | 'revoked';
  readonly expiresAt: string;
  readonly erased: true;
  readonly revokedAt?: string;
  readonly revocation?: 'pending' | 'published' | 'not-needed';
}

function view(record: CodeRecord | ErasedCode): CodeView | ErasedCodeView {
  if ('erasedAt' in record && record.erasedAt !== undefined) {
    return {
      codeId: record.codeId,
      region: record.region,
      status: record.status,
      expiresAt: isoTime(record.expiresAt),
      erased: true,
      ...revocationState(record),
    };
  }
  return fullView(record as CodeRecord);
}

function revocationState(record: CodeRecord | ErasedCode): Pick<CodeView, 'revokedAt' | 'revocation'> {
  if (record.revokedAt === undefined) return {};
  return {
    revokedAt: isoTime(record.revokedAt),
    revocation:
      record.revocationPublishedAt !== undefined
        ? 'published'
        : record.expiresAt <= record.revokedAt
          ? 'not-needed'
          : 'pending',
  };
}

function fullView(record: CodeRecord): CodeView {
  return {
    codeId: record.codeId,
    region: record.region,
    healthStatus: record.healthStatus,
    status: record.status,
    issuedAt: isoTime(record.issuedAt),
    expiresAt: isoTime(record.expiresAt),
    kid: record.kid,
    holderBinding: { alg: record.holder.alg, salt: record.holder.salt, tag: record.holder.tag },
    ...(record.reason !== undefined ? { reason: record.reason } : {}),
    ...revocationState(record),
  };
}

/** What is held about `codeId`; 404 when nothing is. */
export async function describe(deps: ProvinceDeps, codeId: string): Promise<CodeView> {
  const record = await deps.repository.getCode(codeId);
  if (!record) throw new ResourceNotFound('No record is held for this code');
  return fullView(record);
}

/**
 * Erase what is held about `codeId`; 404 when nothing is. The code itself stays verifiable, and
 * revocable: the id, its expiry and its revocation state stay (nothing about the holder or the
 * health status), until the code expires.
 */
export async function erase(deps: ProvinceDeps, codeId: string): Promise<void> {
  if (!deps.retention.holderErasure) {
    throw new HcxError('ERASURE_NOT_ALLOWED', {
      detail: 'the record is erased when the code expires',
    });
  }
  if (!(await deps.repository.deleteCode(codeId, deps.now())))
    throw new ResourceNotFound('No record is held for this code');
  metrics.addMetric('CodesErased', 'Count', 1);
}

/**
 * Publish revocations through the exchange, signed with the enrollment key: codes with a status
 * index by their status segments (`status.publish`), the others by id (one signed `code.revoke`
 * per code, one after the other: a retry after a failure half-way is answered `alreadyRevoked`).
 */
async function publishRevocations(deps: ProvinceDeps, pending: readonly PendingRevocation[]): Promise<void> {
  const ctx = {
    exchange: deps.exchange,
    enrollmentSigner: await deps.enrollmentSigner(),
    region: deps.region,
    federationId: deps.federationId,
    now: deps.now,
  };
  const byIndex = pending.filter((p) => p.statusIndex !== undefined);
  if (byIndex.length > 0) {
    await revokeByStatus(
      { ...ctx, repository: deps.repository },
      byIndex.map((p) => ({ statusIndex: p.statusIndex as number, exp: p.exp })),
    );
  }
  const byId: RevokedCode[] = pending
    .filter((p) => p.statusIndex === undefined)
    .map((p) => ({ jti: p.codeId, exp: p.exp }));
  for (let i = 0; i < byId.length; i += MAX_CODES_PER_REVOCATION) {
    await revokeCodes(ctx, byId.slice(i, i + MAX_CODES_PER_REVOCATION));
  }
}

/**
 * Revoke `codeId`: mark the record revoked, note the revocation as pending, then publish it through
 * the exchange (a signed `code.revoke` with the code's own expiry) and clear the note. Safe to
 * retry: the record keeps its first revocation time, and a revocation the exchange already holds
 * is a success. When the exchange cannot be reached the record says `pending` and the call answers
 * 503; the next scheduled sync publishes it ({@link publishPendingRevocations}), and so does a retry.
 */
export async function revoke(deps: ProvinceDeps, codeId: string): Promise<CodeView | ErasedCodeView> {
  const now = deps.now();
  const record = await deps.repository.markRevoked(codeId, now);
  if (!record) throw new ResourceNotFound('No record is held for this code');
  const revokedAt = record.revokedAt ?? now;
  // An expired code can no longer verify anywhere: there is nothing to publish.
  if (record.revocationPublishedAt !== undefined || record.expiresAt <= revokedAt) return view(record);
  const pending: PendingRevocation = {
    codeId,
    exp: record.expiresAt,
    revokedAt,
    ...(record.statusIndex !== undefined ? { statusIndex: record.statusIndex } : {}),
  };
  await deps.repository.putPendingRevocation(pending);
  await publishRevocations(deps, [pending]);
  const publishedAt = deps.now();
  await deps.repository.markRevocationPublished(codeId, publishedAt);
  await deps.repository.deletePendingRevocation(codeId);
  metrics.addMetric('CodesRevoked', 'Count', 1);
  return view({ ...record, revocationPublishedAt: publishedAt });
}

/** What one {@link publishPendingRevocations} run did. */
export interface PendingRevocationsOutcome {
  /** Revocations the exchange accepted in this run (or already held). */
  readonly published: number;
  /** Pending revocations dropped because their code had expired (nothing left to publish). */
  readonly expired: number;
  /** Stable error code when the run stopped (the revocations stay pending for the next run). */
  readonly error?: string;
}

/**
 * Publish the revocations left pending (the exchange was down when they were made, or the node
 * stopped in between): up to 100 of them (status batches, and one signed `code.revoke` per code
 * without a status index), then each record is marked published and its note cleared. Run by the
 * scheduled sync after the trust list. Never throws:
 * a failure leaves the notes for the next run and is reported as `error`.
 */
export async function publishPendingRevocations(deps: ProvinceDeps): Promise<PendingRevocationsOutcome> {
  let published = 0;
  let expired = 0;
  try {
    const now = deps.now();
    const pending = await deps.repository.listPendingRevocations(PENDING_REVOCATIONS_PER_RUN);
    const live = pending.filter((p) => p.exp > now);
    for (const p of pending.filter((x) => x.exp <= now)) {
      await deps.repository.deletePendingRevocation(p.codeId);
      expired++;
    }
    if (live.length > 0) {
      await publishRevocations(deps, live);
      const publishedAt = deps.now();
      for (const p of live) {
        await deps.repository.markRevocationPublished(p.codeId, publishedAt);
        await deps.repository.deletePendingRevocation(p.codeId);
        published++;
      }
      metrics.addMetric('CodesRevoked', 'Count', published);
    }
    return { published, expired };
  } catch (e) {
    return { published, expired, error: toHcxError(e).code };
  }
}

/** The node's registry status (`GET /v1/registry`). */
export async function registryStatus(deps: ProvinceDeps): Promise<{
  version: number | null;
  ageSeconds: number | null;
  expiresAt: string | null;
  lastSync: { at: string; result: string; error?: string } | null;
  segmentCheck?: { error: 'SEGMENT_MISSING'; unheld: number; since: string };
  retention: RetentionPolicy;
  sunsetAt?: string;
}> {
  const now = deps.now();
  const [meta, sync, sunset, check] = await Promise.all([
    deps.repository.getReplicaMeta(),
    deps.repository.getSyncStatus(),
    deps.repository.getSunset(),
    deps.repository.getSegmentCheck(),
  ]);
  return {
    version: meta ? meta.version : null,
    ageSeconds: meta ? Math.max(0, now - meta.issuedAt) : null,
    expiresAt: meta ? isoTime(meta.expiresAt) : null,
    lastSync: sync
      ? {
          at: isoTime(sync.lastSyncAt),
          result: sync.lastResult,
          ...(sync.lastError !== undefined ? { error: sync.lastError } : {}),
        }
      : null,
    // A verifier could not load the replica's segments; the next sync checks and heals them.
    ...(check
      ? {
          segmentCheck: { error: 'SEGMENT_MISSING' as const, unheld: check.unheld, since: isoTime(check.at) },
        }
      : {}),
    retention: deps.retention,
    ...(sunset ? { sunsetAt: isoTime(sunset.at) } : {}),
  };
}
