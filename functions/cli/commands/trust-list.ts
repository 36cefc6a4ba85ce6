/**
 * `hcx trust-list fetch|show`: download the signed trust list for offline verification (checked
 * before it is saved, and saved atomically), and show what a saved one holds.
 */
import { existsSync } from 'node:fs';
import type { TrustList } from '../../core/schemas/types.gen';
import { compareTrustLists, isTrustListStale, trustListAge } from '../../core/rules';
import { CliError, EXIT, InputFileError, ServiceError } from '../errors';
import { federationJwks, readText, writeAtomically } from '../files';
import { call } from '../http';
import { batchesDir, saveBatches } from '../status-batches';
import { isoTime, nowSeconds, type CommandResult } from '../result';
import { claimedFederation, openTrustListWith } from '../trust';

/** What `show` and `fetch` report about a list. */
export interface TrustListSummary {
  readonly federation: string;
  readonly version: number;
  readonly issuedAt: string;
  readonly expiresAt: string;
  readonly ageSeconds: number;
  readonly expired: boolean;
  readonly provinces: {
    region: string;
    name: string;
    status: string;
    keys: { kid: string; alg: string; status: string; notAfter: string; reason?: string }[];
  }[];
  readonly codeRevocations: number;
}

/** Summarise a verified trust list at time `now`. */
export function summarise(list: TrustList, now: number): TrustListSummary {
  return {
    federation: list.federation,
    version: list.version,
    issuedAt: isoTime(list.issuedAt),
    expiresAt: isoTime(list.expiresAt),
    ageSeconds: trustListAge(list, now),
    expired: isTrustListStale(list, now),
    provinces: list.provinces.map((p) => ({
      region: p.region,
      name: p.name,
      status: p.status,
      keys: p.keys.map((k) => ({
        kid: k.kid,
        alg: k.alg,
        status: k.status,
        notAfter: isoTime(k.notAfter),
        ...(k.status === 'revoked' ? { reason: k.reason } : {}),
      })),
    })),
    codeRevocations: list.codeRevocations.length,
  };
}

function summaryLines(s: TrustListSummary): string[] {
  const lines = [
    `federation ${s.federation}, trust list version ${s.version}`,
    `issued ${s.issuedAt} (${s.ageSeconds} s ago), expires ${s.expiresAt}${s.expired ? '  EXPIRED: verification answers indeterminate, fetch a new one' : ''}`,
  ];
  for (const p of s.provinces) {
    lines.push(`  ${p.region} ${p.name} (${p.status}), ${p.keys.length} key(s)`);
    for (const k of p.keys) {
      lines.push(`    ${k.kid} ${k.alg} ${k.status}${k.reason ? ` (${k.reason})` : ''}, until ${k.notAfter}`);
    }
  }
  lines.push(`${s.codeRevocations} revoked code(s)`);
  return lines;
}

/** Options of {@link trustListFetch}. */
export interface TrustListFetchOptions {
  readonly exchange: string;
  /** The federation JWKS (file path, or the object from the state file): obtained out of band. */
  readonly federationJwks: string | object;
  readonly out: string;
  /**
   * The exchange's static site (S3 + CloudFront, or `<exchange>/static` locally): the list and its
   * batches are fetched there first, from the exchange when a copy is missing or refused.
   */
  readonly staticUrl?: string;
  readonly now?: number;
}

/** A verified list and where it came from. */
interface Fetched {
  readonly text: string;
  readonly list: TrustList;
  readonly from: string;
}

/** The list from `base`, verified (a {@link CliError} when it cannot be had or is refused). */
async function fetchFrom(base: string, jwks: { keys: unknown[] }, now: number): Promise<Fetched> {
  const { text } = await call(base, '/v1/trust-list', { accept: 'application/jose' });
  const list = await openTrustListWith(text, jwks, `the trust list from ${base}`, {
    now,
    exitCode: EXIT.SERVICE,
  });
  return { text, list, from: base };
}

/** The list from the static site when given (a refused copy is noted, then the exchange asked). */
async function fetchList(
  o: TrustListFetchOptions,
  jwks: { keys: unknown[] },
  now: number,
  notes: string[],
): Promise<Fetched> {
  if (o.staticUrl) {
    try {
      return await fetchFrom(o.staticUrl, jwks, now);
    } catch (e) {
      if (!(e instanceof CliError)) throw e;
      notes.push(`the static copy was not used (${e.message}): fetched from ${o.exchange}`);
    }
  }
  return fetchFrom(o.exchange, jwks, now);
}

/** Fetch the trust list, verify it with the federation key, and save it atomically to `out`. */
export async function trustListFetch(
  o: TrustListFetchOptions,
): Promise<CommandResult<TrustListSummary & { file: string }>> {
  const jwks = federationJwks(o.federationJwks);
  const now = o.now ?? nowSeconds();
  const notes: string[] = [];
  let fetched = await fetchList(o, jwks, now, notes);
  if (existsSync(o.out)) {
    // Never let an older list replace a newer one (rollback), nor a list of another federation (one
    // the federation key given does not open) be replaced; a file that is no trust list is replaced.
    const saved = readText(o.out, 'the saved trust list');
    const held = await openTrustListWith(saved, jwks, o.out, {
      now,
      allowExpired: true,
    }).catch((e: unknown) => {
      if (e instanceof CliError) return undefined;
      throw e;
    });
    const other = held ? undefined : claimedFederation(saved);
    if (other !== undefined) {
      const whose =
        other === fetched.list.federation ? `another federation also called ${other}` : `federation ${other}`;
      throw new InputFileError(
        `${o.out} holds a trust list of ${whose}, not signed by the federation key given: kept it (give another --out, or delete it first)`,
      );
    }
    let order = held && compareTrustLists(held, fetched.list);
    if (order === 'ROLLBACK' && fetched.from !== o.exchange) {
      // A cached static copy older than the saved list: the exchange is asked before anything is said.
      notes.push(
        `the static copy (version ${fetched.list.version}) is older than ${o.out}: fetched from ${o.exchange}`,
      );
      fetched = await fetchFrom(o.exchange, jwks, now);
      order = compareTrustLists(held as TrustList, fetched.list);
    }
    const list = fetched.list;
    if (order === 'ROLLBACK') {
      throw new ServiceError(
        `the exchange served version ${list.version}, older than the saved version ${held?.version}: kept ${o.out} (possible rollback)`,
      );
    }
    if (order === 'FORK') {
      throw new ServiceError(
        `the exchange served a version ${list.version} that differs from the saved one: kept ${o.out} (the log forked: tell the operator)`,
      );
    }
    if (held && order === 'REISSUED_EARLIER') {
      // The same log, and the saved copy was issued later: it is kept (not an error, not a rollback).
      const summary = summarise(held, now);
      return {
        exitCode: EXIT.OK,
        data: { ...summary, file: o.out },
        lines: [
          `kept ${o.out}: it holds the same version ${held.version}, issued later`,
          ...summaryLines(summary),
        ],
      };
    }
  }
  const { list, text } = fetched;
  // The status batches first: a saved list whose segments are not all there would not open.
  const batches = await saveBatches(
    o.exchange,
    list,
    o.out,
    o.staticUrl ? { staticUrl: o.staticUrl, notes } : {},
  );
  writeAtomically(o.out, `${text.trim()}\n`);
  const summary = summarise(list, now);
  return {
    exitCode: EXIT.OK,
    data: { ...summary, file: o.out },
    lines: [
      ...notes,
      `saved trust list version ${list.version} (verified) to ${o.out}${o.staticUrl && fetched.from === o.staticUrl ? ` from ${o.staticUrl}` : ''}`,
      ...(batches > 0 ? [`saved ${batches} status batch(es) to ${batchesDir(o.out)}`] : []),
      ...summaryLines(summary),
    ],
  };
}

/** Options of {@link trustListShow}. */
export interface TrustListShowOptions {
  readonly file: string;
  readonly federationJwks: string | object;
  readonly now?: number;
}

/** Verify and describe a saved trust list. */
export async function trustListShow(o: TrustListShowOptions): Promise<CommandResult<TrustListSummary>> {
  const jwks = federationJwks(o.federationJwks);
  const now = o.now ?? nowSeconds();
  // An expired list is shown (marked EXPIRED), not refused: the user is told to fetch a new one.
  const list = await openTrustListWith(
    readText(o.file, 'the trust list file'),
    jwks,
    `the trust list ${o.file}`,
    {
      now,
      allowExpired: true,
    },
  );
  const summary = summarise(list, now);
  return { exitCode: EXIT.OK, data: summary, lines: summaryLines(summary) };
}
