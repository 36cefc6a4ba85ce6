/**
 * The verifier's in-memory registry: the replica's snapshot, reloaded only when the replica changed.
 *
 * Once warm, a verification costs no DynamoDB read at all: the replica's small metadata item is
 * read at most once every `checkEveryMs` (a few seconds) by whichever request comes first, and the
 * full replica is loaded and indexed (`buildSnapshot`) only when its version or issue time moved.
 * When DynamoDB is unreachable the last snapshot keeps serving; it carries its own expiry, so
 * verification turns `indeterminate` (`TRUST_LIST_STALE`) when it is too old, never silently valid.
 */
import type { Logger } from '../aws/lambda-log';
import { errorLogAttributes, logger as rootLogger } from '../aws/observability';
import { buildSnapshot, type RegistrySnapshot } from '../core/registry';
import type { TrustList } from '../core/schemas/types.gen';
import type { SegmentSet } from '../core/status/segment';
import { resolveStoredSegments } from '../core/status/stored';
import type { TrustListStatusSegment } from '../core/schemas/types.gen';
import type { ProvinceRepository, ReplicaMeta } from './repository';

/** Options of {@link RegistryCache}. */
export interface RegistryCacheOptions {
  /** Least time between two metadata reads (default 5 000 ms). */
  readonly checkEveryMs?: number;
  /** Milliseconds clock (tests pin it). */
  readonly clock?: () => number;
  readonly logger?: Logger;
}

/** The list a node without any replica verifies against: empty and already expired. */
const NO_LIST: TrustList = {
  federation: 'none',
  version: 0,
  issuedAt: 0,
  expiresAt: 0,
  logHead: '',
  provinces: [],
  codeRevocations: [],
};

/** A registry snapshot cached in memory, refreshed when the stored replica changes. */
export class RegistryCache {
  private current?: { snapshot: RegistrySnapshot; version: number; issuedAt: number };
  private checkedAt = -Infinity;
  private pending?: Promise<RegistrySnapshot>;
  private readonly checkEveryMs: number;
  private readonly clock: () => number;
  private readonly log: Logger;
  /** Decoded status segments by digest, so a reload decodes only the segments that changed. */
  private readonly segments = new Map<string, SegmentSet>();

  constructor(
    private readonly repository: ProvinceRepository,
    options: RegistryCacheOptions = {},
  ) {
    this.checkEveryMs = options.checkEveryMs ?? 5_000;
    this.clock = options.clock ?? Date.now;
    this.log = options.logger ?? rootLogger;
  }

  /** The snapshot to verify with now. */
  async snapshot(): Promise<RegistrySnapshot> {
    if (this.current && this.clock() - this.checkedAt < this.checkEveryMs) return this.current.snapshot;
    this.pending ??= this.refresh().finally(() => {
      this.pending = undefined;
    });
    return this.pending;
  }

  /** Forget the check time, so the next {@link snapshot} reads the metadata again. */
  invalidate(): void {
    this.checkedAt = -Infinity;
    // A check already in flight may have read the metadata before the change: it must neither be
    // handed to later callers nor mark the cache as freshly checked.
    this.invalidations++;
    this.pending = undefined;
  }

  /** The replica generation a segment check was last asked for (asked once per generation). */
  private checkAskedFor?: string;

  /**
   * A listed segment is not held (an item deleted or unreadable behind the node's back): ask the
   * next sync to read every listed item and heal (sync takes the items its committed replica lists
   * as held, functions/province/status.ts). The list is refused meanwhile (`SEGMENT_MISSING`).
   */
  private async askForCheck(generation: string, version: number, unheld: number): Promise<void> {
    if (this.checkAskedFor === generation) return;
    this.checkAskedFor = generation;
    this.log.warn('listed status segments not held, sync asked to check', { version, unheld });
    try {
      await this.repository.requestSegmentCheck({ at: Math.floor(this.clock() / 1000), version, unheld });
    } catch (e) {
      this.checkAskedFor = undefined;
      this.log.warn('segment check not asked', errorLogAttributes(e));
    }
  }

  /** Bumped by {@link invalidate}; a refresh only records its check time if none happened meanwhile. */
  private invalidations = 0;

  private markChecked(seen: number): void {
    if (seen === this.invalidations) this.checkedAt = this.clock();
  }

  private async refresh(): Promise<RegistrySnapshot> {
    const seen = this.invalidations;
    let meta: ReplicaMeta | undefined;
    try {
      meta = await this.repository.getReplicaMeta();
    } catch (e) {
      if (!this.current) throw e;
      this.log.warn('registry check failed, serving the cached snapshot', errorLogAttributes(e));
      this.markChecked(seen);
      return this.current.snapshot;
    }
    this.markChecked(seen);
    if (!meta) {
      this.current ??= { snapshot: await buildSnapshot(NO_LIST), version: 0, issuedAt: 0 };
      return this.current.snapshot;
    }
    if (this.current && this.current.version === meta.version && this.current.issuedAt === meta.issuedAt) {
      return this.current.snapshot;
    }
    try {
      const replica = await this.repository.getReplica();
      if (!replica) return (this.current ?? { snapshot: await buildSnapshot(NO_LIST) }).snapshot;
      const segments = await loadSegments(this.repository, replica.list, this.segments);
      const unheld = (replica.list.statusSegments ?? []).filter((s) => !segments(s)).length;
      if (unheld > 0) await this.askForCheck(replica.meta.generation, replica.list.version, unheld);
      const snapshot = await buildSnapshot(replica.list, segments);
      this.current = { snapshot, version: replica.list.version, issuedAt: replica.list.issuedAt };
      this.log.info('registry snapshot loaded', {
        version: snapshot.version,
        keys: snapshot.keys.size,
        refusedKeys: snapshot.refusedKids.length,
      });
      return snapshot;
    } catch (e) {
      if (!this.current) throw e;
      this.log.warn('registry reload failed, serving the cached snapshot', errorLogAttributes(e));
      return this.current.snapshot;
    }
  }
}

/**
 * The sets of the segments `list` names, from a memo of those already decoded (by digest) and the
 * repository for the rest: its items read by BatchGetItem, one round per chain level for every
 * segment at once (a patch item's base next, at most MAX_PATCH_CHAIN + 1 rounds; a chain stops at
 * a memo'd set), each content checked against its digest. The memo keeps only the list's segments
 * afterwards. A segment not held, or whose chain has a link missing or not giving its digest, is
 * left out: building the snapshot then refuses the list (SEGMENT_MISSING).
 */
export async function loadSegments(
  repository: Pick<ProvinceRepository, 'getSegmentItems'>,
  list: TrustList,
  memo: Map<string, SegmentSet>,
): Promise<(s: TrustListStatusSegment) => SegmentSet | undefined> {
  const wanted = new Set((list.statusSegments ?? []).map((s) => s.digest));
  const { sets } = await resolveStoredSegments(
    [...wanted].filter((d) => !memo.has(d)),
    (digests) => repository.getSegmentItems(digests),
    memo,
  );
  for (const [digest, set] of sets) memo.set(digest, set);
  for (const digest of memo.keys()) if (!wanted.has(digest)) memo.delete(digest);
  return (s) => memo.get(s.digest);
}
