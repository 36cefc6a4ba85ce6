/**
 * Serving the signed trust list and its deltas. The list is the fold of the log (core/trustlist),
 * kept in memory and advanced by the entries appended since, so a request when nothing changed
 * costs one consistent read of the log head and no signature.
 *
 * `issuedAt` is the time of the last change (the head entry's `at`), or the start of the current
 * {@link REISSUE_SECONDS} window when that is later: every Lambda instance signs the same payload
 * for a given version in a given window, a client's copy is refreshed (new ETag) well before it
 * expires, and a list is never dated before the entries (and keys) it carries.
 */
import { RequestInvalid, TrustListRejected } from '../core/errors';
import { LIMITS } from '../core/profiles';
import type { LogEntry, TrustList, TrustListDelta } from '../core/schemas/types.gen';
import { GENESIS_HASH, verifyChain } from '../core/trustlist/log';
import { applyEntries, emptyTrustList, pruneExpiredRevocations } from '../core/trustlist/state';
import { signDelta, signTrustList } from '../core/trustlist/trust-list';
import { federationEnded, type ExchangeContext } from './service';

/** How often a list of an unchanged version is re-signed (its issuedAt moves on). */
export const REISSUE_SECONDS = 900;
/** Most entries one delta carries; a client further behind catches up over several fetches. */
export const MAX_DELTA_ENTRIES = 1000;
/** Most bytes of entries (JSON) one delta carries, well under the delta's 4 MiB JWS cap. */
export const MAX_DELTA_ENTRY_BYTES = 2_500_000;
const LOG_READ_PAGE = 1000;
const DELTA_CACHE_SIZE = 32;

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
  private readonly deltas = new Map<string, string>();

  constructor(private readonly ctx: ExchangeContext) {}

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

  /** The fold of the log through `head` (from the cached fold when it is behind or equal). */
  private async foldThrough(head: LogEntry | undefined): Promise<TrustList> {
    const seq = head?.seq ?? 0;
    const base =
      this.folded && this.folded.version <= seq ? this.folded : emptyTrustList(this.ctx.federationId);
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

  /** The signed delta from `since` (at most {@link MAX_DELTA_ENTRIES} entries). */
  async delta(since: number): Promise<string> {
    const head = await this.ctx.repository.lastEntry();
    const headSeq = head?.seq ?? 0;
    // No delta is signed after the sunset: clients fall back to the final full list.
    if (head?.type === 'federation.sunset') throw federationEnded();
    if (since > headSeq) throw new RequestInvalid('since is beyond the current version');
    let version = Math.min(headSeq, since + MAX_DELTA_ENTRIES);
    const issuedAt = this.issuedAt(head);
    const cacheKey = `${since}:${version}:${issuedAt}`;
    const hit = this.deltas.get(cacheKey);
    if (hit) return hit;
    // Read from the entry at `since` itself (its hash is where the holder's chain ends).
    const read = await this.readRange(Math.max(since - 1, 0), version);
    const all = since === 0 ? read : read.slice(1);
    const fromHash = since === 0 ? GENESIS_HASH : read[0]?.hash;
    if (fromHash === undefined || all.length !== version - since) {
      throw new TrustListRejected('GAP', 'The log has a hole');
    }
    const entries = withinBytes(all, MAX_DELTA_ENTRY_BYTES);
    version = since + entries.length;
    const logHead = verifyChain({ seq: since, hash: fromHash }, entries).hash;
    const delta: TrustListDelta = {
      federation: this.ctx.federationId,
      fromVersion: since,
      version,
      issuedAt,
      expiresAt: issuedAt + LIMITS.trustListLifetime,
      logHead,
      entries,
    };
    const jws = await signDelta(await this.ctx.signer(), delta);
    if (this.deltas.size >= DELTA_CACHE_SIZE) this.deltas.delete(this.deltas.keys().next().value as string);
    this.deltas.set(cacheKey, jws);
    return jws;
  }
}

/** The longest prefix of `entries` whose JSON fits in `budget` bytes (at least one entry). */
function withinBytes(entries: LogEntry[], budget: number): LogEntry[] {
  let used = 0;
  for (let i = 0; i < entries.length; i++) {
    used += JSON.stringify(entries[i]).length;
    if (used > budget && i > 0) return entries.slice(0, i);
  }
  return entries;
}
