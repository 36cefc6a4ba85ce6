/**
 * What the exchange needs from storage. The log is the ledger: `appendEntry` is the only write that
 * decides anything, and every other item is a projection of the log that `project` can (re)write
 * at any time. See docs/exchange.md for the DynamoDB item layout.
 */
import type { KeyMaterial } from '../core/algorithms';
import type { LogEntry } from '../core/schemas/types.gen';
import type { StoredSegment } from '../core/status/stored';

/** A province as the exchange stores it. */
export interface ProvinceRecord {
  readonly region: string;
  readonly name: string;
  readonly status: 'active' | 'suspended' | 'sunset';
  readonly enrollmentKid: string;
  readonly enrollmentAlg: string;
  readonly enrollmentJwk: KeyMaterial;
  /** NumericDate of the `province.registered` entry. */
  readonly registeredAt: number;
  /** How many enrollment keys the province has had (1 + its re-enrollments). */
  readonly enrollments: number;
}

/** A province signing key as the exchange stores it. */
export interface KeyRecord {
  readonly region: string;
  readonly kid: string;
  readonly alg: string;
  readonly jwk: KeyMaterial;
  readonly notBefore: number;
  readonly notAfter: number;
  readonly status: 'active' | 'revoked';
  readonly revokedAt?: number;
  readonly reason?: string;
}

/** Who holds a kid: a province's signing key or its enrollment key. */
export interface KidOwner {
  readonly kid: string;
  readonly region: string;
  readonly use: 'signing' | 'enrollment';
}

/** The current state of one status segment, as projected from the log. */
export interface StatusSegmentRecord {
  readonly region: string;
  readonly segment: number;
  readonly rev: number;
  readonly exp: number;
  readonly count: number;
  readonly digest: string;
  /** Hash of the batch (signed request) that carries its content, or its last patch. */
  readonly batch: string;
  /** Patches since the last full publication (absent: the batch carries the full content). */
  readonly depth?: number;
}

/** Storage of the exchange. Every read used for a security decision is strongly consistent. */
/** A signed delta stored when the list was published: served for `GET /v1/trust-list?since=<from>`. */
export interface StoredDelta {
  readonly from: number;
  readonly to: number;
  readonly issuedAt: number;
  readonly expiresAt: number;
  /** The compact JWS, as signed. */
  readonly jws: string;
}

/** The exchange's folded state at `version` (its working set), committed to the log by `logHead`. */
export interface Checkpoint {
  readonly version: number;
  /** The hash of the log entry at `version`: a checkpoint is used only when the log agrees. */
  readonly logHead: string;
  /** The fold of the log through `version`, expired revocations pruned (JSON of a TrustList). */
  readonly list: string;
}

export interface ExchangeRepository {
  /** The last log entry, or undefined when the log is empty. */
  lastEntry(): Promise<LogEntry | undefined>;
  /** Up to `limit` entries with seq > `afterSeq`, in order. */
  readLog(afterSeq: number, limit: number): Promise<LogEntry[]>;
  /** Append `entry` at its seq; false when that seq is already taken (a concurrent writer won). */
  appendEntry(entry: LogEntry): Promise<boolean>;
  /** The seq through which the projections are known to be written (0 when none). */
  projectedThrough(): Promise<number>;
  /** Write the projections of consecutive `entries` (idempotent, never moves an item backwards). */
  project(entries: readonly LogEntry[]): Promise<void>;
  getProvince(region: string): Promise<ProvinceRecord | undefined>;
  listProvinces(): Promise<ProvinceRecord[]>;
  kidOwner(kid: string): Promise<KidOwner | undefined>;
  /** Who holds the key whose kid has this short form (`shortKid`, what an HCX2 code names). */
  shortKidOwner(short: string): Promise<KidOwner | undefined>;
  getKey(region: string, kid: string): Promise<KeyRecord | undefined>;
  listKeys(region: string): Promise<KeyRecord[]>;
  isCodeRevoked(region: string, jti: string): Promise<boolean>;
  /** Store a status batch (the signed request text) under its hash; idempotent. */
  putBatch(hash: string, jws: string): Promise<void>;
  /** The status batch stored under `hash`, or undefined. */
  getBatch(hash: string): Promise<string | undefined>;
  /**
   * Keep the content of an accepted segment revision under its digest (`SCONTENT#`): whole, or a
   * patch item on the content stored under its base (functions/core/status/stored.ts), until its
   * `ttl`. The base the next patch of the segment is checked on. Never shortens a longer-lived item
   * stored under the same digest (another segment with the same content): then the content `whole`
   * gives is stored whole with the longer ttl (functions/aws/segment-items.ts `putStoredSegment`).
   */
  putSegmentItem(digest: string, item: StoredSegment, whole?: () => string): Promise<void>;
  /** The items kept by {@link putSegmentItem} under `digests` (any subset found; BatchGetItem). */
  getSegmentItems(digests: readonly string[]): Promise<ReadonlyMap<string, StoredSegment>>;
  /** The projected state of one status segment, or undefined when never published. */
  getStatusSegment(region: string, segment: number): Promise<StatusSegmentRecord | undefined>;
  /** How many of the region's status segments are live at `now` (not expired). */
  countLiveSegments(region: string, now: number): Promise<number>;
  /** How many of the region's code revocations (by jti) are live at `now`. */
  countLiveCodeRevocations(region: string, now: number): Promise<number>;
  /** Record a signed request's nonce until `expiresAt`; false when it was already recorded. */
  consumeNonce(jti: string, expiresAt: number): Promise<boolean>;

  // Static deltas (functions/exchange/trust-list-publisher.ts)
  /** The stored delta from version `from`, or undefined. */
  getDelta(from: number): Promise<StoredDelta | undefined>;
  /** Store `delta` unless the one held from the same version goes further or is as new (no-op then). */
  putDelta(delta: StoredDelta): Promise<void>;
  /** The versions the last publications were made at, ascending (where stored deltas start). */
  getPublishedVersions(): Promise<number[]>;
  putPublishedVersions(versions: readonly number[]): Promise<void>;

  // Checkpoints of the folded state (functions/exchange/trust-list-publisher.ts)
  /** The version of the latest checkpoint (one small read), or undefined. */
  checkpointVersion(): Promise<number | undefined>;
  /** The latest checkpoint, or undefined (none, or its content does not match its digest). */
  getCheckpoint(): Promise<Checkpoint | undefined>;
  /** Store `checkpoint` as the latest unless a later one is held; the previous one's content goes. */
  putCheckpoint(checkpoint: Checkpoint): Promise<void>;

  // Federation sunset (functions/exchange/sunset.ts)
  /** The last trust list the federation signed (kept after its key is destroyed), if any. */
  getFinalTrustList(): Promise<string | undefined>;
  /** Keep the final signed trust list (written once; a second write is ignored). */
  putFinalTrustList(jws: string): Promise<void>;
  /** The federation's signed deletion report, once there is one. */
  getDeletionReport(): Promise<string | undefined>;
  putDeletionReport(jws: string): Promise<void>;
  /** How many items {@link eraseOperationalData} would delete now, per kind (nothing is deleted). */
  countOperationalData(): Promise<ErasedCount[]>;
  /**
   * The sunset's erasure tally: the one kept, or else `count()`'s, kept now (the first kept wins).
   * Kept before the erasure, so a retry after a crash still reports what the first run erased.
   */
  keepErasureTally(count: () => Promise<ErasedCount[]>): Promise<ErasedCount[]>;
  /**
   * Delete every item but the log, the final trust list, the erasure tally and the deletion report
   * (projections, nonces, the projection cursor); returns how many items of each kind were deleted.
   */
  eraseOperationalData(): Promise<ErasedCount[]>;
}

/** Items deleted, per kind of item. */
export interface ErasedCount {
  readonly kind: string;
  readonly count: number;
}
