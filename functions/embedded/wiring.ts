/**
 * Where the embedded runtime meets the domain: the `create(deps)` call of every handler (from the
 * route table, exactly the handlers Lambda runs) and the first-start provisioning, which goes
 * through the public HTTP API the way a real operator and province would.
 *
 * Key files live in the runtime's key folder (0600): the federation key, and per province an
 * enrollment key and an issuer key. A second start on the same data loads them, finds the provinces
 * registered and their keys published, and changes nothing.
 */
import { createHash } from 'node:crypto';
import { chmodSync, existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { generateSigningKey } from '../core/keys';
import { signerFromKeyFile } from '../core/files';
import type { Signer } from '../core/signer';
import { localFileShredder } from '../core/sunset/key-shredder';
import { createExchangeDeps } from '../exchange/deps';
import { openApiResponse } from '../openapi/build';
import { createProvinceDeps, type ProvinceDeps } from '../province/deps';
import { rotateKey } from '../province/rotation';
import {
  handlerEntry,
  routesOf,
  scheduledFunctionsOf,
  type FunctionDefinition,
  type Service,
} from '../routes';
import type { LambdaHandler } from './server';
import {
  FederationConfigInvalid,
  type FederationContext,
  type Provisioned,
  type ScheduledHandler,
  type ServiceHandlers,
  type ServiceHandlersMap,
} from './federation';
import { pageRoutes } from './pages';
import { LocalStaticSite, STATIC_PATH } from './static-site';

/**
 * The federation id of an embedded federation: `hcx-local-` and 8 hex digits of its federation key's
 * kid, so two local federations (a `--memory` run beside `npm start`) never share an id, and a data
 * folder keeps its id across restarts.
 */
export function localFederationId(federationKid: string): string {
  return `hcx-local-${createHash('sha256').update(federationKid).digest('hex').slice(0, 8)}`;
}

interface LocalKeys {
  readonly federation: Signer;
  readonly federationFile: string;
  readonly enrollment: Record<string, { signer: Signer; file: string }>;
  readonly issuer: Record<string, Signer>;
  readonly issuerFiles: Record<string, string>;
}

interface Wired {
  readonly keys: LocalKeys;
  readonly provinces: Record<string, ProvinceDeps>;
}

// The hooks share what buildHandlers made with provision (one federation per process at a time).
const wired = new WeakMap<FederationContext, Wired>();

/** Load the private JWK in `file`, or generate one for `alg` and write it (0600). */
async function keyFile(file: string, alg = 'ES256'): Promise<Signer> {
  if (!existsSync(file)) {
    const key = await generateSigningKey(alg);
    writeFileSync(file, JSON.stringify(key.privateJwk, null, 2) + '\n', { mode: 0o600, flag: 'wx' });
  }
  chmodSync(file, 0o600);
  const signer = await signerFromKeyFile(file);
  if (signer.alg !== alg) {
    throw new FederationConfigInvalid(
      `${file} holds an ${signer.alg} key, not ${alg}: start with another data folder (or --memory) to change a province's algorithm`,
    );
  }
  return signer;
}

async function loadKeys(context: FederationContext): Promise<LocalKeys> {
  const enrollment: LocalKeys['enrollment'] = {};
  const issuer: LocalKeys['issuer'] = {};
  const issuerFiles: LocalKeys['issuerFiles'] = {};
  for (const p of context.provinces) {
    const file = join(context.keysDir, `${p.region}-enrollment.jwk.json`);
    enrollment[p.region] = { signer: await keyFile(file, p.alg), file };
    issuerFiles[p.region] = join(context.keysDir, `${p.region}-issuer.jwk.json`);
    issuer[p.region] = await keyFile(issuerFiles[p.region], p.alg);
  }
  const federationFile = join(context.keysDir, 'federation.jwk.json');
  return { federation: await keyFile(federationFile), federationFile, enrollment, issuer, issuerFiles };
}

/** What every handler module exports (functions/routes.ts `handlerEntry`). */
export interface HandlerModule {
  readonly create: (deps: never) => unknown;
  readonly fromEnv: (env?: NodeJS.ProcessEnv) => unknown;
  readonly handler: unknown;
}

/** Load the handler module of a route or scheduled function, from where the route table says it is. */
export function handlerModule(def: FunctionDefinition): HandlerModule {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require(join(__dirname, '..', '..', handlerEntry(def))) as HandlerModule;
}

/**
 * The handlers of `service` over `deps`, exactly the ones Lambda runs: `create(deps)` of every route
 * and scheduled function of the route table, by function name.
 */
export function handlersOf<TDeps>(service: Service, deps: TDeps): ServiceHandlers {
  const routes: Record<string, LambdaHandler> = {};
  const scheduled: Record<string, ScheduledHandler> = {};
  const create = (def: FunctionDefinition) => (handlerModule(def).create as (d: TDeps) => unknown)(deps);
  for (const r of routesOf(service)) routes[r.fn] = create(r) as LambdaHandler;
  for (const s of scheduledFunctionsOf(service)) scheduled[s.fn] = create(s) as ScheduledHandler;
  return { routes, scheduled, extraRoutes: { '/openapi.json': () => openApiResponse() } };
}

function federationJwks(keys: LocalKeys): { keys: object[] } {
  const f = keys.federation;
  return { keys: [{ ...f.publicJwk, kid: f.kid, alg: f.alg, use: 'sig' }] };
}

/** Build every instance's handlers from the federation context (clients, tables, URLs, key folder). */
export async function buildHandlers(context: FederationContext): Promise<ServiceHandlersMap> {
  const keys = await loadKeys(context);
  const federationId = localFederationId(keys.federation.kid);
  // The static site S3 + CloudFront serve in AWS: the same objects at <exchange>/static/
  const staticSite = new LocalStaticSite(context.dataDir && join(context.dataDir, 'static'));
  const staticUrl = `${context.exchange.url}${STATIC_PATH.replace(/\/$/, '')}`;
  const exchangeDeps = createExchangeDeps({
    trustListSink: staticSite,
    client: context.client,
    tableName: context.exchange.tableName,
    signer: keys.federation,
    federationId,
    // crypto-erasure in the embedded runtime: the local private key file is shredded
    federationKeyShredder: localFileShredder([
      { file: keys.federationFile, kid: keys.federation.kid, use: 'federation' },
    ]),
  });
  const provinces: Record<string, ProvinceDeps> = {};
  for (const p of context.provinces) {
    provinces[p.region] = createProvinceDeps({
      region: p.region,
      federationId,
      client: context.client,
      tableName: p.tableName,
      issuerSigners: [keys.issuer[p.region]],
      enrollmentSigner: keys.enrollment[p.region].signer,
      exchangeUrl: context.exchange.url,
      exchangeStaticUrl: staticUrl,
      federationJwks: federationJwks(keys) as never,
      ...(context.retention ? { retention: context.retention } : {}),
      ...(context.codeFormat ? { codeFormat: context.codeFormat } : {}),
      ...(context.now ? { now: context.now } : {}),
      keyShredder: localFileShredder([
        { file: keys.issuerFiles[p.region], kid: keys.issuer[p.region].kid, use: 'issuer' },
        {
          file: keys.enrollment[p.region].file,
          kid: keys.enrollment[p.region].signer.kid,
          use: 'enrollment',
        },
      ]),
    });
  }
  wired.set(context, { keys, provinces });
  // the checkpoint and traveller pages on every province node, with this federation's key pinned
  const pages = pageRoutes({
    federation: federationId,
    federationJwks: federationJwks(keys),
    exchangeUrl: context.exchange.url,
    staticUrl,
  });
  const exchange = handlersOf('exchange', exchangeDeps);
  return {
    exchange: {
      ...exchange,
      extraRoutes: { ...exchange.extraRoutes, [`${STATIC_PATH}*`]: staticSite.route },
    },
    provinces: Object.fromEntries(
      Object.entries(provinces).map(([r, deps]) => {
        const h = handlersOf('province', deps);
        return [r, { ...h, extraRoutes: { ...h.extraRoutes, ...pages } }];
      }),
    ),
  };
}

async function exchangeCall(
  context: FederationContext,
  path: string,
  init: RequestInit = {},
): Promise<Response> {
  const res = await fetch(`${context.exchange.url}${path}`, init);
  if (res.status >= 500)
    throw new Error(`the exchange answered ${res.status} to ${init.method ?? 'GET'} ${path}`);
  return res;
}

/** Register every province and publish its first key, through the exchange's HTTP API (idempotent). */
export async function provision(context: FederationContext): Promise<Provisioned> {
  const w = wired.get(context);
  if (!w) throw new Error('provision before buildHandlers');
  const { keys } = w;
  const federationId = localFederationId(keys.federation.kid);
  const listed = (await (await exchangeCall(context, '/v1/provinces')).json()) as {
    provinces: { region: string }[];
  };
  const registered = new Set(listed.provinces.map((p) => p.region));
  for (const p of context.provinces) {
    if (!registered.has(p.region)) {
      const registration = await exchangeCall(context, '/v1/provinces', {
        method: 'POST',
        headers: { authorization: `Bearer ${context.operatorToken}`, 'content-type': 'application/json' },
        body: JSON.stringify({
          region: p.region,
          name: p.nameZh,
          enrollmentKey: keys.enrollment[p.region].signer.publicJwk,
          ...(context.retention ? { retention: context.retention } : {}),
        }),
      });
      if (registration.status !== 201)
        throw new Error(`registering ${p.region} failed with ${registration.status}`);
    }
    const jwks = (await (await exchangeCall(context, `/v1/provinces/${p.region}/jwks.json`)).json()) as {
      keys: { kid: string }[];
    };
    const issuer = keys.issuer[p.region];
    if (jwks.keys.some((k) => k.kid === issuer.kid)) continue;
    const deps = w.provinces[p.region];
    await rotateKey({
      region: p.region,
      federationId,
      exchange: deps.exchange,
      enrollmentSigner: keys.enrollment[p.region].signer,
      newSigner: issuer,
      repository: deps.repository,
      federationKeys: deps.federationKeys,
      waitUntilVisible: { intervalMs: 50, timeoutMs: 10_000 },
      switchGraceMs: 0,
    });
  }
  return {
    federationId,
    federationJwks: federationJwks(keys),
    enrollmentKeyFiles: Object.fromEntries(Object.entries(keys.enrollment).map(([r, e]) => [r, e.file])),
  };
}
