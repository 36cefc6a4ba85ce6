/** `hcx status`: the federation, its trust list, and each province node's replica. */
import { CliError, EXIT } from '../errors';
import { federationInfo } from '../exchange';
import { federationJwks } from '../files';
import { call } from '../http';
import { nowSeconds, type CommandResult } from '../result';
import { openTrustListWith } from '../trust';

/** Options of {@link status}. */
export interface StatusOptions {
  readonly exchange?: string;
  /** Province nodes, each with its internal token (`GET /v1/registry` is an internal route). */
  readonly nodes?: readonly { readonly url: string; readonly token?: string; readonly region?: string }[];
  /** The federation JWKS held out of band; without it the list is checked with the exchange's own announced key. */
  readonly federationJwks?: string | object;
  /** Ask each node to re-derive its replica from the signed evidence (`GET /v1/registry?audit=true`). */
  readonly audit?: boolean;
  readonly now?: number;
}

interface ExchangeStatus {
  url: string;
  federation?: string;
  federationKeys?: number;
  trustList?: {
    version: number;
    ageSeconds: number;
    expired: boolean;
    provinces: number;
    keyCheckedWith: string;
  };
  error?: string;
}

interface NodeStatus {
  url: string;
  region?: string;
  registry?: unknown;
  error?: string;
}

function message(e: unknown): string {
  if (e instanceof CliError) return e.message;
  throw e;
}

async function exchangeStatus(
  url: string,
  jwksSource: StatusOptions['federationJwks'],
  now: number,
): Promise<ExchangeStatus> {
  try {
    const info = await federationInfo(url);
    const jwks = jwksSource !== undefined ? federationJwks(jwksSource) : info.keys;
    const { text } = await call(url, '/v1/trust-list', { accept: 'application/jose' });
    const list = await openTrustListWith(text, jwks, `the trust list from ${url}`, {
      now,
      exitCode: EXIT.SERVICE,
      allowExpired: true, // reported as expired below
    });
    return {
      url,
      federation: info.federation,
      federationKeys: info.keys.keys.length,
      trustList: {
        version: list.version,
        ageSeconds: Math.max(0, now - list.issuedAt),
        expired: now > list.expiresAt,
        provinces: list.provinces.length,
        keyCheckedWith: jwksSource !== undefined ? 'your federation JWKS' : "the exchange's announced key",
      },
    };
  } catch (e) {
    return { url, error: message(e) };
  }
}

async function nodeStatus(
  node: { url: string; token?: string; region?: string },
  audit: boolean,
): Promise<NodeStatus> {
  try {
    const { json } = await call(node.url, audit ? '/v1/registry?audit=true' : '/v1/registry', {
      token: node.token,
      authenticated: true,
    });
    return { url: node.url, region: node.region, registry: json };
  } catch (e) {
    return { url: node.url, region: node.region, error: message(e) };
  }
}

function registryLine(registry: unknown): string {
  if (typeof registry !== 'object' || registry === null) return 'answered';
  const fields = Object.entries(registry as Record<string, unknown>)
    .filter(([, v]) => v === null || ['string', 'number', 'boolean'].includes(typeof v))
    .map(([k, v]) => `${k} ${String(v)}`);
  const audit = (registry as { audit?: { result?: unknown; reason?: unknown; at?: unknown } }).audit;
  if (audit && typeof audit.result === 'string') {
    const why = [audit.reason, audit.at].filter((x) => typeof x === 'string').join(' at ');
    fields.push(`audit ${audit.result}${why ? ` (${why})` : ''}`);
  }
  return fields.join(', ');
}

/** A node whose replica does not re-derive from its evidence. */
function inconsistent(n: NodeStatus): boolean {
  return (n.registry as { audit?: { result?: unknown } } | undefined)?.audit?.result === 'inconsistent';
}

/**
 * Report the federation and the nodes; exit 3 when any of them could not be reached, or (with
 * `audit`) when a node's replica does not re-derive from its signed evidence.
 */
export async function status(
  o: StatusOptions,
): Promise<CommandResult<{ exchange: ExchangeStatus | null; nodes: NodeStatus[] }>> {
  if (o.exchange === undefined && (o.nodes ?? []).length === 0) {
    throw new CliError(EXIT.USAGE, 'give --state-file F, or --exchange URL and/or --node URL');
  }
  const now = o.now ?? nowSeconds();
  const [exchange, ...nodes] = await Promise.all([
    o.exchange !== undefined ? exchangeStatus(o.exchange, o.federationJwks, now) : Promise.resolve(null),
    ...(o.nodes ?? []).map((n) => nodeStatus(n, o.audit === true)),
  ]);
  const lines: string[] = [];
  if (exchange) {
    if (exchange.error) lines.push(`exchange ${exchange.url}: ${exchange.error}`);
    else {
      const t = exchange.trustList;
      lines.push(
        `exchange ${exchange.url}: federation ${exchange.federation}, ${exchange.federationKeys} federation key(s)`,
      );
      if (t) {
        lines.push(
          `  trust list version ${t.version}, ${t.ageSeconds} s old${t.expired ? ' (EXPIRED)' : ''}, ${t.provinces} province(s), signature checked with ${t.keyCheckedWith}`,
        );
      }
    }
  }
  for (const n of nodes as NodeStatus[]) {
    const who = n.region ? `node ${n.region} ${n.url}` : `node ${n.url}`;
    lines.push(n.error ? `${who}: ${n.error}` : `${who}: ${registryLine(n.registry)}`);
  }
  const failed =
    exchange?.error !== undefined ||
    (nodes as NodeStatus[]).some((n) => n.error !== undefined || inconsistent(n));
  return {
    exitCode: failed ? EXIT.SERVICE : EXIT.OK,
    data: { exchange: exchange as ExchangeStatus | null, nodes: nodes as NodeStatus[] },
    lines,
  };
}
