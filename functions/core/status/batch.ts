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
import type {
  StatusPublishRequest,
  StatusSegmentContent,
  StatusSegmentPatch,
  TrustList,
} from '../schemas/types.gen';
import { isSignedRequestPayload } from '../schemas/validators';
import { MAX_PATCH_CHAIN } from '../rules/status';
import { SegmentInvalid, SegmentSet, encodeSegment, packSegment, readSegmentBits, sha256 } from './segment';

export { readSegmentBits, sha256 };

/** A full segment read out of a batch: its set and the digest of its canonical raw form. */
export interface BatchFull {
  readonly kind: 'full';
  readonly segment: number;
  readonly rev: number;
  readonly exp: number;
  readonly count: number;
  readonly digest: string;
  readonly set: SegmentSet;
}

/**
 * A segment patch read out of a batch: the offsets it adds to the content of `base` (the revision,
 * digest and batch the list named when it was published); `count` and `digest` are those of the
 * resulting content, which only {@link applySegmentPatch} on the base content can check.
 */
export interface BatchPatch {
  readonly kind: 'patch';
  readonly segment: number;
  readonly rev: number;
  readonly exp: number;
  readonly count: number;
  readonly digest: string;
  readonly base: { readonly rev: number; readonly digest: string; readonly batch: string };
  readonly add: SegmentSet;
}

/** One segment item of a batch. */
export type BatchSegment = BatchFull | BatchPatch;

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
    segments.set(s.segment, readItem(s));
  }
  return { hash, payload, segments };
}

function readBits(bits: string): { set: SegmentSet; digest: string } {
  try {
    return readSegmentBits(bits);
  } catch (e) {
    if (e instanceof SegmentInvalid) refuse('MALFORMED', `A status segment is refused: ${e.message}`, e);
    throw e;
  }
}

function readItem(s: StatusPublishRequest['segments'][number]): BatchSegment {
  const { segment, rev, exp, count } = s;
  if (!('add' in s)) {
    const read = readBits(s.bits);
    if (read.set.count !== count) refuse('MALFORMED', 'A status segment count is not its content');
    return { kind: 'full', segment, rev, exp, count, ...read };
  }
  const add = readBits(s.add).set;
  if (add.count === 0 || add.count > count)
    refuse('MALFORMED', 'A status segment patch adds nothing, or more than its count');
  if (s.base.rev >= rev) refuse('MALFORMED', 'A status segment patch does not move its base forward');
  return { kind: 'patch', segment, rev, exp, count, digest: s.digest, base: { ...s.base }, add };
}

/**
 * The content `patch` gives on top of `base` (the set whose digest is `patch.base.digest`), or
 * undefined when it does not give what the patch commits to: an added offset already in the base,
 * or a count or digest other than the patch's. Never a set whose digest differs from `patch.digest`.
 */
export function applySegmentPatch(base: SegmentSet, patch: BatchPatch): SegmentSet | undefined {
  if (base.count + patch.add.count !== patch.count) return undefined;
  const set = base.union(patch.add.offsets());
  if (set.count !== patch.count) return undefined;
  return sha256(encodeSegment(set)) === patch.digest ? set : undefined;
}

/** A segment revision as a list names it: where its content, or its last patch, was published. */
export interface SegmentAt {
  readonly segment: number;
  readonly digest: string;
  readonly batch: string;
}

/**
 * The batch that carries `at`, then the batch of each patch's base, back to a full publication
 * (or to a content `held(digest)` already has): at most {@link MAX_PATCH_CHAIN} + 1 batches, since
 * the exchange refuses a longer chain. `open(hash)` gives the batch opened and checked against its
 * hash, or undefined when it is not held. Returns the content checked against `at.digest`, or
 * undefined when a batch is not held; throws `BATCH_MISMATCH` when a batch does not carry the
 * revision it was named for, or a patch does not give the digest it commits to.
 */
export function resolveSegment(
  at: SegmentAt,
  open: (hash: string) => OpenedBatch | undefined,
  held: (digest: string) => SegmentSet | undefined = () => undefined,
): SegmentSet | undefined {
  const chain: BatchPatch[] = [];
  let want: SegmentAt = at;
  let base: SegmentSet | undefined;
  for (let hop = 0; base === undefined; hop++) {
    if (hop > MAX_PATCH_CHAIN)
      refuse('BATCH_MISMATCH', 'A status segment patch chain is longer than allowed');
    const opened = open(want.batch);
    if (!opened) return undefined;
    const item = opened.segments.get(want.segment);
    if (!item || item.digest !== want.digest) {
      refuse('BATCH_MISMATCH', 'A status batch does not hold the segment revision named');
    }
    if (item.kind === 'full') {
      base = item.set;
      break;
    }
    chain.push(item);
    want = { segment: want.segment, digest: item.base.digest, batch: item.base.batch };
    base = held(want.digest);
  }
  for (let i = chain.length - 1; i >= 0; i--) {
    const next = applySegmentPatch(base, chain[i]);
    if (!next) refuse('BATCH_MISMATCH', 'A status segment patch does not give the digest it commits to');
    base = next;
  }
  return base;
}

/**
 * Every batch `list`'s segments need, fetched with `fetchText(hash)` (undefined when not found):
 * the batches the list names and, for a patch, the batches back along its chain. Returns the texts
 * by hash, each checked against its hash; a chain cut short (a batch not found) is left for
 * {@link segmentsFromBatches} to answer `SEGMENT_MISSING`.
 */
export async function chainBatches(
  list: Pick<TrustList, 'statusSegments'>,
  fetchText: (hash: string) => Promise<string | undefined>,
): Promise<Map<string, string>> {
  const texts = new Map<string, string>();
  const opened = new Map<string, OpenedBatch | undefined>();
  const open = async (hash: string) => {
    if (!opened.has(hash)) {
      const text = await fetchText(hash);
      opened.set(hash, text === undefined ? undefined : openBatch(text, hash));
      if (text !== undefined) texts.set(hash, text);
    }
    return opened.get(hash);
  };
  for (const s of list.statusSegments ?? []) {
    let want: SegmentAt = s;
    for (let hop = 0; hop <= MAX_PATCH_CHAIN; hop++) {
      const item = (await open(want.batch))?.segments.get(want.segment);
      if (item?.kind !== 'patch' || item.digest !== want.digest) break;
      want = { segment: want.segment, digest: item.base.digest, batch: item.base.batch };
    }
  }
  return texts;
}

/**
 * The segments of a list read from the batches `batchText(hash)` returns (undefined when not held):
 * each batch opened once and checked against its hash, a segment used only with the listed digest.
 * Used by offline verifiers (the CLI's saved batches, the checkpoint page's cached ones).
 */
export function segmentsFromBatches(batchText: (hash: string) => string | undefined): SegmentSource {
  const opened = new Map<string, OpenedBatch | undefined>();
  const open = (hash: string) => {
    if (!opened.has(hash)) {
      const text = batchText(hash);
      opened.set(hash, text === undefined ? undefined : openBatch(text, hash));
    }
    return opened.get(hash);
  };
  const resolved = new Map<string, SegmentSet>();
  return (s) => {
    let set = resolved.get(s.digest);
    if (set) return set;
    try {
      set = resolveSegment(s, open, (digest) => resolved.get(digest));
    } catch (e) {
      // A batch that does not give the listed digest is a segment not held, never a set used.
      if (e instanceof TrustListRejected) return undefined;
      throw e;
    }
    if (set) resolved.set(s.digest, set);
    return set;
  };
}

/** The `segments` item of a `status.publish` request for one segment's set. */
export function segmentContent(
  segment: number,
  rev: number,
  exp: number,
  set: SegmentSet,
): StatusSegmentContent {
  return { segment, rev, exp, count: set.count, bits: packSegment(encodeSegment(set)) };
}

/**
 * The `segments` item of a `status.publish` request that adds `added` (none of them in `base`'s
 * content) to the revision `base` names; `set` is the resulting content.
 */
export function segmentPatch(
  segment: number,
  rev: number,
  exp: number,
  set: SegmentSet,
  base: { readonly rev: number; readonly digest: string; readonly batch: string },
  added: Uint32Array,
): StatusSegmentPatch {
  return {
    segment,
    rev,
    exp,
    count: set.count,
    digest: sha256(encodeSegment(set)),
    base: { rev: base.rev, digest: base.digest, batch: base.batch },
    add: packSegment(encodeSegment(SegmentSet.fromSorted(added))),
  };
}
