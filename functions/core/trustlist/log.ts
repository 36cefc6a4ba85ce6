/**
 * The transparency log's hash chain: every entry carries the base64url SHA-256 of its own RFC 8785
 * canonical form (without `hash`) and the previous entry's hash in `prev`. The first entry's `prev`
 * is {@link GENESIS_HASH}. Whoever holds a head `{seq, hash}` can check that a run of entries
 * continues it: no gap, no fork, no altered entry.
 */
import { createHash } from 'node:crypto';
import { encodeB64url } from '../b64';
import { TrustListRejected } from '../errors';
import type { LogEntry } from '../schemas/types.gen';
import { canonicalJson } from './jcs';

/** `prev` of the first entry, and `logHead` of an empty log: 32 zero bytes, base64url. */
export const GENESIS_HASH = encodeB64url(new Uint8Array(32));

/** A log entry before its hash is computed (the union kept: each entry type keeps its own data). */
export type UnhashedLogEntry = LogEntry extends infer E
  ? E extends LogEntry
    ? Omit<E, 'hash'>
    : never
  : never;

/** What a writer says about a new entry; `prev` and `hash` are computed. */
export type LogEntryInput = LogEntry extends infer E
  ? E extends LogEntry
    ? Pick<E, Extract<'seq' | 'at' | 'type' | 'region' | 'data', keyof E>> &
        ('region' extends keyof E ? unknown : { region?: undefined })
    : never
  : never;

/** Where a log (or a holder's copy of it) ends: the last sequence number and its entry hash. */
export interface LogHead {
  readonly seq: number;
  readonly hash: string;
}

/** The head of an empty log. */
export const EMPTY_HEAD: LogHead = { seq: 0, hash: GENESIS_HASH };

/** base64url SHA-256 of the RFC 8785 canonical form of `entry` (any `hash` member is ignored). */
export function hashEntry(entry: UnhashedLogEntry): string {
  const { hash: _ignored, ...rest } = entry as UnhashedLogEntry & { hash?: string };
  return encodeB64url(createHash('sha256').update(canonicalJson(rest), 'utf8').digest());
}

/** The entry that follows `prev` (the first entry when `prev` is undefined), hashed. */
export function makeEntry(prev: LogEntry | undefined, input: LogEntryInput): LogEntry {
  const expected = (prev?.seq ?? 0) + 1;
  if (input.seq !== expected)
    throw new TypeError(`makeEntry: seq ${input.seq} does not follow ${expected - 1}`);
  const unhashed = {
    seq: input.seq,
    at: input.at,
    type: input.type,
    // federation.sunset names no region
    ...(input.region !== undefined ? { region: input.region } : {}),
    data: input.data,
    prev: prev?.hash ?? GENESIS_HASH,
  } as UnhashedLogEntry;
  return { ...unhashed, hash: hashEntry(unhashed) } as LogEntry;
}

/**
 * Check that `entries` continue the log from `head` (from the genesis when undefined) and return
 * the new head. Throws {@link TrustListRejected} with reason `BAD_HASH` (an entry is not what its
 * hash says), `GAP` (a sequence number is skipped or repeated) or `FORK` (an entry does not chain to
 * the previous hash).
 */
export function verifyChain(head: LogHead | undefined, entries: readonly LogEntry[]): LogHead {
  let current: LogHead = head ?? EMPTY_HEAD;
  for (const entry of entries) {
    if (hashEntry(entry) !== entry.hash) {
      throw new TrustListRejected('BAD_HASH', 'A log entry does not match its hash');
    }
    if (entry.seq !== current.seq + 1) {
      throw new TrustListRejected('GAP', 'The log entries do not follow on from the head');
    }
    if (entry.prev !== current.hash) {
      throw new TrustListRejected('FORK', 'The log entries do not chain to the head');
    }
    current = { seq: entry.seq, hash: entry.hash };
  }
  return current;
}
