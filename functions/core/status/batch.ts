/**
 * Status batches: a province's signed `status.publish` request, kept verbatim by the exchange and
 * committed by hash in the log (`status.published`, `batch` = SHA-256 of the JWS text). Whoever
 * holds a trust list can fetch a batch by that hash from any copy (the exchange route, S3), check
 * the hash, and read the segments it carries, each checked against the digest the list commits to.
 * The batch is the province's own signed words: anyone with the province's enrollment key (from the
 * log's `province.registered` entry) can check that signature too ({@link openBatch}).
 */
import { algorithmByName, type KeyMaterial } from '../algorithms';
import { JwsRejected, TrustListRejected, type TrustListReason } from '../errors';
import { parseCompactJws } from '../jws/compact';
import { STATUS_REQUEST_PROFILE } from '../profiles';
import type { SegmentSource } from '../registry';
import type { StatusPublishRequest } from '../schemas/types.gen';
import { isSignedRequestPayload } from '../schemas/validators';
import { SegmentInvalid, SegmentSet, encodeSegment, packSegment, readSegmentBits, sha256 } from './segment';

export { readSegmentBits, sha256 };

/** One segment read out of a batch: its set and the digest of its canonical raw form. */
export interface BatchSegment {
  readonly segment: number;
  readonly rev: number;
  readonly exp: number;
  readonly count: number;
  readonly digest: string;
  readonly set: SegmentSet;
}

/** What {@link openBatch} found. */
export interface OpenedBatch {
  readonly hash: string;
  readonly payload: StatusPublishRequest;
  readonly segments: ReadonlyMap<number, BatchSegment>;
}

function refuse(reason: TrustListReason, title: string, cause?: unknown): never {
  throw new TrustListRejected(reason, title, cause);
}

/**
 * Read a batch: its hash must be `expectedHash` (`BATCH_MISMATCH`), its payload a schema-valid
 * `status.publish` (`SCHEMA_INVALID`) with each segment once and canonical (`MALFORMED`), and when
 * `enrollmentKey` is given its province signature must verify (`SIGNATURE_INVALID`).
 */
export function openBatch(
  jws: string,
  expectedHash: string,
  enrollmentKey?: { readonly alg: string; readonly jwk: KeyMaterial },
): OpenedBatch {
  const hash = sha256(jws);
  if (hash !== expectedHash) refuse('BATCH_MISMATCH', 'The status batch is not the one committed to');
  let parsed;
  try {
    parsed = parseCompactJws(jws, STATUS_REQUEST_PROFILE);
  } catch (e) {
    if (e instanceof JwsRejected) refuse('MALFORMED', 'The status batch is not a signed request', e);
    throw e;
  }
  if (enrollmentKey) {
    const alg = algorithmByName(enrollmentKey.alg);
    if (!alg || alg.name !== parsed.alg.name)
      refuse('SIGNATURE_INVALID', 'The batch algorithm is not the enrollment key algorithm');
    if (!alg.verify(alg.importPublicKey(enrollmentKey.jwk), parsed.signingInput, parsed.signature)) {
      refuse('SIGNATURE_INVALID', 'The batch is not signed by the province');
    }
  }
  const payload = parsed.payload;
  if (!isSignedRequestPayload(payload) || payload.op !== 'status.publish') {
    refuse('SCHEMA_INVALID', 'The status batch is not a status publication');
  }
  const segments = new Map<number, BatchSegment>();
  for (const s of payload.segments) {
    if (segments.has(s.segment)) refuse('MALFORMED', 'The status batch names a segment twice');
    let read;
    try {
      read = readSegmentBits(s.bits);
    } catch (e) {
      if (e instanceof SegmentInvalid) refuse('MALFORMED', `A status segment is refused: ${e.message}`, e);
      throw e;
    }
    if (read.set.count !== s.count) refuse('MALFORMED', 'A status segment count is not its content');
    segments.set(s.segment, { segment: s.segment, rev: s.rev, exp: s.exp, count: s.count, ...read });
  }
  return { hash, payload, segments };
}

/**
 * The segments of a list read from the batches `batchText(hash)` returns (undefined when not held):
 * each batch opened once and checked against its hash, a segment used only with the listed digest.
 * Used by offline verifiers (the CLI's saved batches, the checkpoint page's cached ones).
 */
export function segmentsFromBatches(batchText: (hash: string) => string | undefined): SegmentSource {
  const opened = new Map<string, OpenedBatch | undefined>();
  return (s) => {
    if (!opened.has(s.batch)) {
      const text = batchText(s.batch);
      opened.set(s.batch, text === undefined ? undefined : openBatch(text, s.batch));
    }
    const segment = opened.get(s.batch)?.segments.get(s.segment);
    return segment && segment.digest === s.digest ? segment.set : undefined;
  };
}

/** The `segments` item of a `status.publish` request for one segment's set. */
export function segmentContent(
  segment: number,
  rev: number,
  exp: number,
  set: SegmentSet,
): StatusPublishRequest['segments'][number] {
  return { segment, rev, exp, count: set.count, bits: packSegment(encodeSegment(set)) };
}
