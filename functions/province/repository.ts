/**
 * What a province node keeps, as an interface: issued-code records, the active signing key, the
 * registry replica and the sync status. The DynamoDB implementation is `dynamo-repository.ts`;
 * services depend only on this interface.
 */
import type { HolderBinding } from '../core/holder';
import type { HealthStatus, TrustList } from '../core/schemas/types.gen';
import type { StoredSegment } from '../core/status/stored';

/** The one record a node keeps per issued code: never the name, never the ID number. */
export interface CodeRecord {
  readonly codeId: string;
  /** Issuing province (this node's region). */
  readonly region: string;
  /** The colour the code carries. */
  readonly healthStatus: HealthStatus;
  /** `issued`, or `revoked` once the provincial system revoked it. */
  readonly status: 'issued' | 'revoked';
  /** NumericDate seconds. */
  readonly issuedAt: number;
  readonly expiresAt: number;
  /** The key that signed the code (for a key-compromise audit). */
  readonly kid: string;
  /**
   * Holder pseudonym: the code's own holder binding (`hb`: scrypt, per-code random salt), so the
   * record holds nothing the code itself does not already carry (docs/province.md).
   */
  readonly holder: HolderBinding;
  /** The province's own reason code from the issue request, kept for its audit. */
  readonly reason?: string;
  readonly revokedAt?: number;
  /** When the revocation reached the exchange (absent while it is pending). */
  readonly revocationPublishedAt?: number;
  /** The code's status index (`si` claim), when it carries one: it is revoked by status segment. */
  readonly statusIndex?: number;
}

/** One of this province's own status segments, as its node keeps it (the source of its publications). */
export interface OwnSegment {
  readonly segment: number;
  /** Revision last written (each change is the next one). */
  readonly rev: number;
  readonly exp: number;
  /** The packed content (`segmentContent(...).bits`). */
  readonly bits: string;
  readonly count: number;
  /**
   * Set once the exchange accepted this revision: the batch it was published in and its patches
   * since a full publication (the next revision can then be sent as a patch on it).
   */
  readonly published?: { readonly batch: string; readonly depth: number };
}

/**
 * What stays of a code record after erasure: only what revoking the still-valid code needs, nothing
 * about the holder or the health status (no binding, no colour, no reason, no issue time, no kid).
 * It expires with the code, like the record did.
 */
export interface ErasedCode {
  readonly codeId: string;
  readonly region: string;
  readonly status: 'issued' | 'revoked';
  readonly expiresAt: number;
  /** NumericDate of the erasure. */
  readonly erasedAt: number;
  readonly revokedAt?: number;
  readonly revocationPublishedAt?: number;
  /** The code's status index, when it carries one (the code itself carries it; nothing personal). */
  readonly statusIndex?: number;
}

/** Metadata of the stored replica: what the verifier polls to know whether to reload. */
export interface ReplicaMeta {
  readonly federation: string;
  readonly version: number;
  readonly issuedAt: number;
  readonly expiresAt: number;
  readonly logHead: string;
  /** Random id of this write; its content chunks are keyed by it. */
  readonly generation: string;
  /** Number of content chunks. */
  readonly chunks: number;
  /** SHA-256 (base64url) of the stored content, checked on load. */
  readonly digest: string;
  /** NumericDate seconds of the sync that wrote it. */
  readonly syncedAt: number;
  /** Generation this one replaced (its chunks are kept one more cycle for in-flight readers). */
  readonly previousGeneration?: string;
  readonly previousChunks?: number;
  /** When the content chunks' TTL deletes them (a re-issue may not carry the list past it). */
  readonly chunksExpireAt?: number;
  /**
   * The last re-issue applied without rewriting the chunks: the signed delta (no entries) that
   * dated the list `issuedAt`/`expiresAt`, the last item of the replica's evidence.
   */
  readonly reissue?: { readonly jws: string; readonly acceptedAt: number };
}

/**
 * The signed artefacts the replica was derived from: the last full trust list and the deltas
 * applied on top of it, each signature-checked at sync time, so an auditor can re-derive `list`.
 */
export interface ReplicaEvidence {
  /** The last full signed list (compact JWS). */
  readonly base: string;
  /** NumericDate seconds when `base` was accepted. */
  readonly baseAcceptedAt: number;
  /** Signed deltas applied on top of `base`, in order, with when each was accepted. */
  readonly deltas: readonly { readonly jws: string; readonly acceptedAt: number }[];
}

/** The verified, delta-applied trust list a node verifies from, with its evidence. */
export interface Replica {
  readonly meta: ReplicaMeta;
  readonly list: TrustList;
  readonly evidence: ReplicaEvidence;
}

/** Partition (and sort) key of the {@link SegmentCheck} item: the only item a verifier may write besides `CALLER#…`. */
export const SEGMENT_CHECK_PK = 'SEGMENT_CHECK';

/**
 * A verifier found a segment the committed replica lists not held (an item deleted or unreadable):
 * the next sync reads every listed item instead of trusting the replica, and heals what is missing.
 */
export interface SegmentCheck {
  /** NumericDate seconds when a verifier asked (the sync clears the check it read, not a newer one). */
  readonly at: number;
  /** Version of the replica the verifier could not load. */
  readonly version: number;
  /** Listed segments it found unheld. */
  readonly unheld: number;
}

/** The last sync run's outcome. */
export interface SyncStatus {
  /** NumericDate seconds. */
  readonly lastSyncAt: number;
  readonly lastResult: 'updated' | 'unchanged' | 'failed';
  /** How the last run fetched: a delta or the full list. */
  readonly mode?: 'delta' | 'full';
  /** Stable error code of a failed run (e.g. `EXCHANGE_UNAVAILABLE`, `ROLLBACK`). */
  readonly lastError?: string;
  readonly lastSuccessAt?: number;
}

/**
 * A code revocation recorded here but not yet accepted by the exchange (it was down, or the node
 * stopped in between). The scheduled sync publishes these until the exchange accepts them or the
 * code expires, so a revocation is never lost to an outage.
 */
export interface PendingRevocation {
  readonly codeId: string;
  /** The code's expiry (NumericDate): after it, there is nothing left to publish. */
  readonly exp: number;
  readonly revokedAt: number;
  /** The code's status index, when it carries one. */
  readonly statusIndex?: number;
}

/** Storage of a province node. */
export interface ProvinceRepository {
  /** Store a new code record with its TTL (fails if the id exists: ids are 128 random bits). */
  putCode(record: CodeRecord, ttl: number): Promise<void>;
  /** The record of `codeId`, strongly consistent, or undefined (also when it was erased). */
  getCode(codeId: string): Promise<CodeRecord | undefined>;
  /**
   * Mark the record revoked at `revokedAt` (kept if already revoked); an erased record too (what is
   * left of it); undefined when none is held.
   */
  markRevoked(codeId: string, revokedAt: number): Promise<CodeRecord | ErasedCode | undefined>;
  /** Note that the revocation reached the exchange. */
  markRevocationPublished(codeId: string, at: number): Promise<void>;
  /**
   * Erase the record at `at`: every personal attribute removed, only an {@link ErasedCode} kept so
   * the code can still be revoked; false when nothing (or only an erased record) was held.
   */
  deleteCode(codeId: string, at: number): Promise<boolean>;

  /** Note a revocation to publish (idempotent); it disappears by itself after the code's expiry. */
  putPendingRevocation(pending: PendingRevocation): Promise<void>;
  /** Up to `limit` revocations still to publish, oldest code id order (strongly consistent). */
  listPendingRevocations(limit: number): Promise<PendingRevocation[]>;
  /** Forget a pending revocation (published, or its code expired). */
  deletePendingRevocation(codeId: string): Promise<void>;

  /** kid of the key the issuer signs with, when one was switched to explicitly. */
  getActiveKid(): Promise<string | undefined>;
  /** Switch the issuer to `kid`. */
  setActiveKid(kid: string, at: number): Promise<void>;

  /** The replica's metadata (one small read), or undefined when there is none yet. */
  getReplicaMeta(): Promise<ReplicaMeta | undefined>;
  /** The full replica, or undefined. */
  getReplica(): Promise<Replica | undefined>;
  /**
   * Store `list` + `evidence` as the replica, unless the stored one is newer (higher version, or
   * the same version issued later): returns false then and nothing changes.
   */
  putReplica(
    list: TrustList,
    evidence: ReplicaEvidence,
    syncedAt: number,
  ): Promise<{ readonly written: boolean; readonly meta?: ReplicaMeta }>;
  /**
   * A re-issue of the held list (same version and content, later `issuedAt`): update the metadata
   * only (one small write; the content chunks stay), with `reissue` as the evidence of the new
   * dates. False (nothing changed) when the stored replica is not the `generation` read, or not older.
   */
  reissueReplica(
    generation: string,
    list: TrustList,
    reissue: { readonly jws: string; readonly acceptedAt: number },
    syncedAt: number,
  ): Promise<boolean>;

  /** Reserve `count` consecutive status indices; returns the first (atomic counter, one write). */
  allocateStatusIndices(count: number): Promise<number>;
  /** This province's own segment, strongly consistent, or undefined. */
  getOwnSegment(segment: number): Promise<OwnSegment | undefined>;
  /** Write `next` only when the stored revision is `next.rev - 1` (or none for rev 1); false otherwise. */
  putOwnSegment(next: OwnSegment): Promise<boolean>;
  /** Note that revision `rev` of the own segment was accepted by the exchange (no-op once it moved on). */
  markOwnSegmentPublished(
    segment: number,
    rev: number,
    published: NonNullable<OwnSegment['published']>,
  ): Promise<void>;
  /**
   * The stored items of listed segments by digest (whole or patch; BatchGetItem, strongly
   * consistent); a digest not held is absent from the map.
   */
  getSegmentItems(digests: readonly string[]): Promise<ReadonlyMap<string, StoredSegment>>;
  /**
   * Keep a listed segment's content (checked against `digest` by the caller) until `item.ttl`,
   * never shortening a longer-lived item stored under the same digest (another segment with the
   * same content): then the content `whole` gives is stored whole with the longer ttl
   * (functions/aws/segment-items.ts `putStoredSegment`).
   */
  putSegmentItem(digest: string, item: StoredSegment, whole?: () => string): Promise<void>;

  /** The check a verifier asked for, if any (one small eventually consistent read). */
  getSegmentCheck(): Promise<SegmentCheck | undefined>;
  /** Ask the next sync to check every listed segment item (the verifier's one write besides callers). */
  requestSegmentCheck(check: SegmentCheck): Promise<void>;
  /** Forget the check asked at `at` once done (a check asked later is kept). */
  clearSegmentCheck(at: number): Promise<void>;

  getSyncStatus(): Promise<SyncStatus | undefined>;
  putSyncStatus(status: SyncStatus): Promise<void>;

  // Province sunset (./sunset.ts)
  /** The node's sunset, once it began (issuance is refused from then on). */
  getSunset(): Promise<SunsetRecord | undefined>;
  /** Note that the sunset began at `at` (kept as it is when one is noted already); returns the record held. */
  beginSunset(at: number): Promise<SunsetRecord>;
  /** Keep the signed deletion report with the sunset record. */
  putSunsetReport(report: string): Promise<void>;
  /**
   * Delete every item that concerns a holder (issued-code records and pending revocations);
   * returns how many of each kind were deleted.
   */
  eraseHolderData(): Promise<{ readonly kind: string; readonly count: number }[]>;
  /** How many items {@link eraseHolderData} would delete now, per kind (nothing is deleted). */
  countHolderData(): Promise<{ readonly kind: string; readonly count: number }[]>;
  /**
   * The sunset's erasure tally: the one kept with the sunset record, or else `count()`'s, kept now
   * (the first kept wins). Kept before the erasure, so a retry after a crash still reports what the
   * first run erased.
   */
  keepErasureTally(
    count: () => Promise<{ readonly kind: string; readonly count: number }[]>,
  ): Promise<{ readonly kind: string; readonly count: number }[]>;
}

/** A province node's sunset. */
export interface SunsetRecord {
  /** NumericDate seconds when it began. */
  readonly at: number;
  /** The signed deletion report, once made. */
  readonly report?: string;
  /** What the erasure found to erase, counted before it ran (per kind). */
  readonly tally?: { readonly kind: string; readonly count: number }[];
}
