/**
 * Serving the signed trust list and its deltas. The list is the fold of the log (core/trustlist),
 * kept in memory and advanced by the entries appended since, so a request when nothing changed
 * costs one consistent read of the log head and no signature.
 *
 * Deltas are static artefacts: each publication (after every change, and on the re-issue schedule)
 * signs the deltas from the versions of the last {@link DELTA_FROM_VERSIONS} publications to the new
 * head, and `GET /v1/trust-list?since=` only reads a stored one ({@link TrustListPublisher.delta}):
 * no query parameter makes the exchange sign anything. A version with no stored delta (too far
 * behind, or not a published version) is answered `404 DELTA_UNAVAILABLE`: fetch the full list.
 *
 * `issuedAt` is the time of the last change (the head entry's `at`), or the start of the current
 * {@link REISSUE_SECONDS} window when that is later: every Lambda instance signs the same payload
 * for a given version in a given window, a client's copy is refreshed (new ETag) well before it
 * expires, and a list is never dated before the entries (and keys) it carries.
 */
import { HcxError, RequestInvalid, TrustListRejected } from '../core/errors';
import { errorLogAttributes, logger, metrics } from '../aws/observability';
import { LIMITS } from '../core/profiles';
import type { LogEntry, TrustList, TrustListDelta } from '../core/schemas/types.gen';
import { GENESIS_HASH, verifyChain } from '../core/trustlist/log';
import { applyEntries, emptyTrustList, pruneExpiredRevocations } from '../core/trustlist/state';
import { signDelta, signTrustList } from '../core/trustlist/trust-list';
import { federationEnded, type ExchangeContext } from './service';
import { deltaKey, deltaObject, statusBatchObject, type StaticSink } from './static-artefacts';

/** How often a list of an unchanged version is re-signed (its issuedAt moves on). */
export const REISSUE_SECONDS = 900;
/** Most entries one delta carries; a client further behind catches up over several fetches. */
export const MAX_DELTA_ENTRIES = 1000;
const LOG_READ_PAGE = 1000;
/**
 * How many past publications a stored delta starts from: a node that synced within the last
 * publications gets one delta to the head; one further behind gets 404 and fetches the full list.
 */
export const DELTA_FROM_VERSIONS = 8;
/** Largest stored delta (one DynamoDB item of 400 KB); a longer one is not stored (404 -> full list). */
export const MAX_STORED_DELTA_BYTES = 350 * 1024;
/**
 * Log entries between two checkpoints of the folded state: a cold instance folds at most about this
 * many entries after loading the latest checkpoint, whatever the log's age.
 */
export const CHECKPOINT_EVERY = 1000;

/** The metric counting delta publications that failed (the next change or scheduled run repairs them). */
export const DELTA_PUBLISH_FAILED_METRIC = 'DeltaPublishFailed';

/** The answer to a `?since=` with no stored delta: the caller fetches the full list. */
export function deltaUnavailable(detail: string): HcxError {
  return new HcxError('DELTA_UNAVAILABLE', { detail });
}

/** A signed document ready to serve. */
export interface SignedDocument {
  readonly jws: string;
  readonly version: number;
  readonly logHead: string;
  readonly issuedAt: number;
  /** Strong ETag: `"v<version>-<logHead prefix>-<issuedAt>"`. */
  readonly etag: string;
}

/** The ETag of a list: changes with the version, the head and each re-issue. */
export function trustListETag(list: Pick<TrustList, 'version' | 'logHead' | 'issuedAt'>): string {
  return `"v${list.version}-${list.logHead.slice(0, 16)}-${list.issuedAt}"`;
}

/** Builds, signs and caches the trust list and deltas of one exchange (one per process). */
export class TrustListPublisher {
  /** The fold of the log through `folded.version` (pruned: revocations only ever expire). */
  private folded: TrustList | undefined;
  private signed: SignedDocument | undefined;

  constructor(
    private readonly ctx: ExchangeContext,
    private readonly checkpointEvery = CHECKPOINT_EVERY,
    /** Where each publication's deltas and new status batches are also written (static artefacts). */
    private readonly sink?: StaticSink,
  ) {}

  private issuedAt(head: LogEntry | undefined): number {
    const now = this.ctx.now();
    return Math.max(now - (now % REISSUE_SECONDS), Math.min(head?.at ?? 0, now));
  }

  private async readRange(afterSeq: number, throughSeq: number): Promise<LogEntry[]> {
    const out: LogEntry[] = [];
    while (afterSeq + out.length < throughSeq) {
      const from = afterSeq + out.length;
      const page = await this.ctx.repository.readLog(from, Math.min(LOG_READ_PAGE, throughSeq - from));
      if (page.length === 0) break;
      out.push(...page);
    }
    return out;
  }

  /**
   * Where a cold fold starts: the latest checkpoint when the log agrees with it (the entry at its
   * version has its `logHead`), else genesis. A checkpoint the log disagrees with is not used.
   */
  private async coldBase(seq: number): Promise<TrustList> {
    const genesis = emptyTrustList(this.ctx.federationId);
    const checkpoint = await this.ctx.repository.getCheckpoint();
    if (!checkpoint || checkpoint.version > seq || checkpoint.version === 0) return genesis;
    const [entry] = await this.ctx.repository.readLog(checkpoint.version - 1, 1);
    if (entry?.seq !== checkpoint.version || entry.hash !== checkpoint.logHead) {
      logger.warn('checkpoint not on the log, folding from genesis', { version: checkpoint.version });
      return genesis;
    }
    const list = JSON.parse(checkpoint.list) as TrustList;
    if (list.version !== checkpoint.version || list.logHead !== checkpoint.logHead) return genesis;
    return list;
  }

  /** The fold of the log through `head` (from the cached fold, or the checkpoint, when behind or equal). */
  private async foldThrough(head: LogEntry | undefined): Promise<TrustList> {
    const seq = head?.seq ?? 0;
    const base = this.folded && this.folded.version <= seq ? this.folded : await this.coldBase(seq);
    if (base.version === seq) return base;
    const entries = await this.readRange(base.version, seq);
    // The exchange checks its own ledger too: a table edited behind its back must not be signed.
    verifyChain({ seq: base.version, hash: base.logHead }, entries);
    if (entries.length !== seq - base.version) throw new TrustListRejected('GAP', 'The log has a hole');
    const next = applyEntries(base, entries);
    if (!this.folded || this.folded.version < next.version) this.folded = next;
    return next;
  }

  /** The signed full list at the current head. */
  async current(): Promise<SignedDocument> {
    const head = await this.ctx.repository.lastEntry();
    const version = head?.seq ?? 0;
    const logHead = head?.hash ?? GENESIS_HASH;
    // After the federation's sunset there is one last list, issued at the sunset, with a short
    // expiry; once signed it is kept and served as it is (the federation key is then destroyed).
    const sunset = head?.type === 'federation.sunset' ? head : undefined;
    const issuedAt = sunset ? sunset.at : this.issuedAt(head);
    if (sunset) {
      const kept = await this.ctx.repository.getFinalTrustList();
      if (kept)
        return { jws: kept, version, logHead, issuedAt, etag: trustListETag({ version, logHead, issuedAt }) };
    }
    const cached = this.signed;
    if (cached && cached.version === version && cached.logHead === logHead && cached.issuedAt === issuedAt) {
      return cached;
    }
    const folded = await this.foldThrough(head);
    const expiresAt = sunset ? sunset.data.finalListExpiresAt : issuedAt + LIMITS.trustListLifetime;
    const list = pruneExpiredRevocations({ ...folded, issuedAt, expiresAt }, issuedAt);
    const jws = await signTrustList(await this.ctx.signer(), list);
    const doc: SignedDocument = { jws, version, logHead, issuedAt, etag: trustListETag(list) };
    if (!this.signed || this.signed.version <= version) this.signed = doc;
    return doc;
  }

  /**
   * The stored delta from `since`, as signed at a publication (never signs: KMS is not called). 404
   * `DELTA_UNAVAILABLE` when none is stored from that version or it has expired.
   */
  async delta(since: number): Promise<string> {
    const head = await this.ctx.repository.lastEntry();
    // No delta is served after the sunset: clients fall back to the final full list.
    if (head?.type === 'federation.sunset') throw federationEnded();
    if (since > (head?.seq ?? 0)) throw new RequestInvalid('since is beyond the current version');
    const stored = await this.ctx.repository.getDelta(since);
    if (!stored) throw deltaUnavailable('no delta is published from this version: fetch the full list');
    if (stored.expiresAt <= this.ctx.now())
      throw deltaUnavailable('the delta has expired: fetch the full list');
    return stored.jws;
  }

  /**
   * Write a checkpoint of the folded state at the head when the latest one is
   * {@link CHECKPOINT_EVERY} entries behind (or there is none yet): the fold with expired revocations
   * pruned (they leave the working set; the log keeps their hashes). Returns the version
   * checkpointed, or undefined when none was due.
   */
  async checkpointIfDue(): Promise<number | undefined> {
    const head = await this.ctx.repository.lastEntry();
    if (!head || head.type === 'federation.sunset') return undefined;
    const held = (await this.ctx.repository.checkpointVersion()) ?? 0;
    if (head.seq - held < this.checkpointEvery) return undefined;
    const list = pruneExpiredRevocations(await this.foldThrough(head), this.ctx.now());
    await this.ctx.repository.putCheckpoint({
      version: list.version,
      logHead: list.logHead,
      list: JSON.stringify(list),
    });
    return list.version;
  }

  /**
   * At the federation's sunset no delta is served (the API answers the sunset; clients fetch the
   * final full list): the static copies from the published versions are removed, so a node cannot
   * keep taking a pre-sunset delta as "nothing new". Done once (the published versions are cleared).
   */
  private async retractDeltas(): Promise<void> {
    const sink = this.sink;
    if (!sink) return;
    const published = await this.ctx.repository.getPublishedVersions();
    if (published.length === 0) return;
    for (const from of published) await sink.remove(deltaKey(from));
    await this.ctx.repository.putPublishedVersions([]);
  }

  /**
   * Put the stored deltas from the published versions and from the head to the static site again
   * (signs nothing). Run on the schedule, it makes the site converge on the table whatever a failed
   * put or two concurrent publications (S3 has no newer-wins condition) left there: a node never
   * stays on a static delta older than the stored one for more than one period. Returns how many
   * were put (0 without a sink).
   */
  async mirrorDeltas(): Promise<number> {
    const sink = this.sink;
    if (!sink) return 0;
    const head = await this.ctx.repository.lastEntry();
    if (!head || head.type === 'federation.sunset') return 0;
    const froms = new Set([...(await this.ctx.repository.getPublishedVersions()), head.seq]);
    let put = 0;
    for (const from of froms) {
      const stored = await this.ctx.repository.getDelta(from);
      if (!stored || stored.expiresAt <= this.ctx.now()) continue;
      await sink.put(deltaObject(from, stored.jws));
      put++;
    }
    return put;
  }

  /**
   * Sign and store the deltas of a publication at the current head: from each of the last
   * {@link DELTA_FROM_VERSIONS} published versions to the head (only when the head moved), and the
   * empty delta from the head itself re-issued for the current window (only when it is not stored
   * yet). Returns how many deltas were signed (0 when nothing was due).
   */
  async publishDeltas(): Promise<number> {
    const head = await this.ctx.repository.lastEntry();
    if (head?.type === 'federation.sunset') {
      await this.retractDeltas();
      return 0;
    }
    if (!head) return 0;
    const to = head.seq;
    const issuedAt = this.issuedAt(head);
    const published = await this.ctx.repository.getPublishedVersions();
    const froms = published.includes(to)
      ? []
      : published.filter((f) => f < to && to - f <= MAX_DELTA_ENTRIES);
    const own = await this.ctx.repository.getDelta(to);
    if (!own || own.to !== to || own.issuedAt < issuedAt) froms.push(to);
    if (froms.length === 0) return 0;
    const lowest = Math.min(...froms);
    // Read from the entry at the lowest `from` itself (its hash is where that holder's chain ends).
    const read = await this.readRange(Math.max(lowest - 1, 0), to);
    if (read.length !== to - Math.max(lowest - 1, 0))
      throw new TrustListRejected('GAP', 'The log has a hole');
    const signer = await this.ctx.signer();
    const expiresAt = issuedAt + LIMITS.trustListLifetime;
    let signed = 0;
    await Promise.all(
      froms.map(async (from) => {
        const at = from - Math.max(lowest - 1, 0);
        const fromHash = from === 0 ? GENESIS_HASH : read[at - 1].hash;
        const entries = read.slice(at);
        if (entries.reduce((n, e) => n + JSON.stringify(e).length, 0) > MAX_STORED_DELTA_BYTES) return;
        const delta: TrustListDelta = {
          federation: this.ctx.federationId,
          fromVersion: from,
          version: to,
          issuedAt,
          expiresAt,
          logHead: verifyChain({ seq: from, hash: fromHash }, entries).hash,
          entries,
        };
        const jws = await signDelta(signer, delta);
        signed++;
        if (jws.length > MAX_STORED_DELTA_BYTES) return;
        await this.ctx.repository.putDelta({ from, to, issuedAt, expiresAt, jws });
        await this.sink?.put(deltaObject(from, jws));
      }),
    );
    // The status batches committed since the last publication, before the publication is recorded:
    // a failed put leaves `to` unrecorded, so the next change or scheduled run puts them again.
    // At most MAX_DELTA_ENTRIES back (a node missing an older one asks the API route for it).
    if (this.sink && !published.includes(to)) {
      const since = Math.max(0, ...published, to - MAX_DELTA_ENTRIES);
      const start = Math.max(lowest - 1, 0);
      const entries = since >= start ? read.slice(since - start) : await this.readRange(since, to);
      for (const e of entries) {
        if (e.type !== 'status.published') continue;
        const batch = await this.ctx.repository.getBatch(e.data.batch);
        if (batch === undefined) throw new Error(`status batch of entry ${e.seq} is missing`);
        await this.sink.put(statusBatchObject(e.data.batch, batch));
      }
    }
    if (!published.includes(to)) {
      await this.ctx.repository.putPublishedVersions([...published, to].slice(-DELTA_FROM_VERSIONS));
    }
    return signed;
  }
}

/**
 * Publish the deltas of the current head ({@link TrustListPublisher.publishDeltas}), then a checkpoint
 * when due ({@link TrustListPublisher.checkpointIfDue}); with `mirror` (the scheduled run), put the
 * stored deltas to the static site again ({@link TrustListPublisher.mirrorDeltas}). Never throws: a
 * failure is logged (no list content) and counted as {@link DELTA_PUBLISH_FAILED_METRIC}; nodes then
 * get 404 and fetch the full list until the next change or scheduled run publishes again.
 */
export async function publishDeltaArtefacts(
  trustLists: Pick<TrustListPublisher, 'publishDeltas' | 'checkpointIfDue' | 'mirrorDeltas'>,
  mirror = false,
): Promise<number> {
  try {
    const signed = await trustLists.publishDeltas();
    await trustLists.checkpointIfDue();
    if (mirror) await trustLists.mirrorDeltas();
    return signed;
  } catch (e) {
    logger.error('delta publication failed', errorLogAttributes(e));
    metrics.addMetric(DELTA_PUBLISH_FAILED_METRIC, 'Count', 1);
    return 0;
  }
}
