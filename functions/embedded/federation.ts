/**
 * A whole federation in one process: the embedded engine, the exchange and its table, one node and
 * one table per province, the local stand-ins for IAM (bearer tokens) and EventBridge (an interval
 * running the scheduled functions), and a state file for scripts, written once everything is ready.
 *
 * Everything that needs domain code is injected, so that this module only knows how AWS is imitated:
 * - `buildHandlers(context)` returns the Lambda handlers of each instance (the `create(deps)` calls);
 * - `provision(context)` creates or loads the federation key, onboards the provinces and publishes
 *   their first keys, and returns what the state file reports about them.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { RetentionPolicy } from '../core/schemas/types.gen';
import type { CodeFormat } from '../core/profiles';
import { writeAtomically } from '../core/files';
import { EXCHANGE_TABLE, PROVINCE_TABLE } from '../core/storage/tables';
import { routesOf } from '../routes';
import { startEngine, type EngineTable } from './engine';
import {
  ensureWritableFolder,
  FederationConfigInvalid,
  refuseStateFileInUse,
  stateFilePid,
} from './local-files';
import { DEFAULT_PROVINCES, provinceName } from './provinces';
import { Scheduler, scheduledJobs, type ScheduledHandler, type ScheduledJob } from './scheduler';
import {
  close as closeServer,
  createServiceServer,
  listen,
  type AdapterLog,
  type ExtraRoute,
  type LambdaHandler,
} from './server';
import { loadTokens } from './tokens';

export { FederationConfigInvalid } from './local-files';
export type { ScheduledHandler } from './scheduler';

/** The handlers of one service instance, by function folder name (`route.fn`, `scheduled.fn`). */
export interface ServiceHandlers {
  readonly routes: Readonly<Record<string, LambdaHandler>>;
  readonly scheduled?: Readonly<Record<string, ScheduledHandler>>;
  /** GET routes outside the route table, e.g. `/openapi.json`. */
  readonly extraRoutes?: Readonly<Record<string, ExtraRoute>>;
}

/** A province node as the hooks see it. */
export interface ProvinceContext {
  readonly region: string;
  readonly name: string;
  readonly nameZh: string;
  readonly tableName: string;
  readonly url: string;
  readonly internalToken: string;
  /** Algorithm of the province's issuer and enrollment keys: `ES256`, or `SM2` (`--provinces 330000:SM2`). */
  readonly alg: string;
}

/** What the hooks get: where everything runs, the client, the tables, the tokens, the key folder. */
export interface FederationContext {
  readonly client: DynamoDBClient;
  readonly engineEndpoint: string;
  /** The only credentials the engine accepts (random per start, in no file). */
  readonly engineCredentials: { readonly accessKeyId: string; readonly secretAccessKey: string };
  /** Data folder, or undefined with `memory`. */
  readonly dataDir?: string;
  /** A 0700 folder for key files: `<data>/keys`, or a temporary folder removed on stop with `memory`. */
  readonly keysDir: string;
  readonly operatorToken: string;
  readonly exchange: { readonly tableName: string; readonly url: string };
  readonly provinces: readonly ProvinceContext[];
  /** Every province's retention policy (`npm start --max-code-lifetime …`); the default when absent. */
  readonly retention?: RetentionPolicy;
  /** The format every province issues codes in (`npm start --code-format`, `HCX_CODE_FORMAT`); HCX2 when absent. */
  readonly codeFormat?: CodeFormat;
  /** The province nodes' clock, in seconds (tests shift it); the system clock when absent. */
  readonly now?: () => number;
}

/** What provisioning reports (it must be idempotent: a second start on the same data runs it again). */
export interface Provisioned {
  readonly federationId: string;
  /** The federation public key(s), `{ keys: [...] }`. */
  readonly federationJwks: { readonly keys: readonly unknown[] };
  /** Path of each province's private enrollment JWK, by region. */
  readonly enrollmentKeyFiles: Readonly<Record<string, string>>;
}

/** The state file (and what `startFederation` resolves with). */
export interface FederationState {
  readonly federationId: string;
  /** The process running the federation: a state file whose process is gone is stale. */
  readonly pid: number;
  readonly exchangeUrl: string;
  readonly operatorToken: string;
  readonly federationJwks: { readonly keys: readonly unknown[] };
  readonly provinces: readonly {
    readonly region: string;
    readonly name: string;
    readonly url: string;
    readonly internalToken: string;
    readonly enrollmentKeyFile: string;
  }[];
}

export interface FederationOptions {
  /** Keep everything in memory; nothing is written except the state file and temporary key files. */
  readonly memory?: boolean;
  /** Data folder (default `./.data`): `dynamodb/`, `keys/`, `local-tokens.json`, `state.json`. */
  readonly dataDir?: string;
  /** 0: free ports; otherwise the exchange on `port` and the provinces on `port + 1…`. */
  readonly port?: number;
  /** Province region codes (default Zhejiang, Guangdong, Fujian), each optionally `:SM2` (or `:ES256`, the default). */
  readonly provinces?: readonly string[];
  /** Seconds between runs of the scheduled functions (default 2). */
  readonly syncIntervalSeconds?: number;
  /** Seconds between TTL sweeps (default 30). */
  readonly sweepIntervalSeconds?: number;
  /** Retention policy of every province (default: functions/province/deps.ts DEFAULT_RETENTION). */
  readonly retention?: RetentionPolicy;
  /** The format every province issues codes in (default HCX2; docs/code-format.md). */
  readonly codeFormat?: CodeFormat;
  /** Where to write the state file (default `<data>/state.json`, or the temporary folder with `memory`). */
  readonly stateFile?: string;
  readonly buildHandlers: (context: FederationContext) => ServiceHandlersMap | Promise<ServiceHandlersMap>;
  readonly provision: (context: FederationContext) => Promise<Provisioned>;
  /** Structured log lines (failures, never bodies or tokens). */
  readonly log?: AdapterLog;
  /** The province nodes' clock, in seconds (tests shift it; default the system clock). */
  readonly now?: () => number;
}

/** The handlers of the exchange and of each province, by region. */
export interface ServiceHandlersMap {
  readonly exchange: ServiceHandlers;
  readonly provinces: Readonly<Record<string, ServiceHandlers>>;
}

/** A running federation. */
export interface Federation {
  readonly state: FederationState;
  readonly stateFile: string;
  readonly context: FederationContext;
  /** Run every scheduled function once now (and wait for it). */
  runScheduled(): Promise<void>;
  /** Stop only the exchange's server (to show that the provinces keep verifying from their replicas). */
  stopExchange(): Promise<void>;
  /** Bring the exchange's server back up after {@link Federation.stopExchange}: same port, handlers and table. */
  startExchange(): Promise<void>;
  /** Stop the schedule, the servers and the engine; remove the state file and temporary files. */
  close(): Promise<void>;
}

/** The table name of the exchange, and of a province node. */
export const exchangeTableName = (): string => 'hcx-exchange';
export const provinceTableName = (region: string): string => `hcx-province-${region}`;

/** Algorithms a province node may sign with (`region:ALG`); its keys are generated for it. */
export const PROVINCE_ALGORITHMS = ['ES256', 'SM2'] as const;

/**
 * Validate `region` or `region:ALG` entries (`330000:SM2`): province-level, known, no duplicates, at
 * least one, ALG one of {@link PROVINCE_ALGORITHMS} (default ES256).
 */
export function parseProvinceSpecs(entries: readonly string[]): { region: string; alg: string }[] {
  const specs = entries
    .map((e) => e.trim())
    .filter(Boolean)
    .map((e) => {
      const [region, alg = 'ES256', ...rest] = e.split(':');
      if (rest.length > 0 || !(PROVINCE_ALGORITHMS as readonly string[]).includes(alg)) {
        throw new FederationConfigInvalid(
          `${e}: a province is a region code, optionally with :${PROVINCE_ALGORITHMS.join(' or :')} (e.g. 330000:SM2)`,
        );
      }
      return { region, alg };
    });
  parseProvinces(specs.map((s) => s.region));
  return specs;
}

/** Validate region codes: province-level, known, no duplicates, at least one. */
export function parseProvinces(regions: readonly string[]): string[] {
  const out = regions.map((r) => r.trim()).filter(Boolean);
  if (out.length === 0)
    throw new FederationConfigInvalid('give at least one province, e.g. --provinces 330000');
  for (const r of out) {
    if (!provinceName(r)) {
      throw new FederationConfigInvalid(
        `${r} is not a province-level GB/T 2260 code (six digits ending in 0000, e.g. 330000)`,
      );
    }
  }
  if (new Set(out).size !== out.length) throw new FederationConfigInvalid('a province is listed twice');
  return out;
}

/** Start everything; resolves once the state file is written. */
export async function startFederation(options: FederationOptions): Promise<Federation> {
  const memory = options.memory ?? false;
  const specs = parseProvinceSpecs(options.provinces ?? DEFAULT_PROVINCES);
  const regions = specs.map((p) => p.region);
  const dataDir = memory ? undefined : resolve(options.dataDir ?? '.data');
  const syncSeconds = options.syncIntervalSeconds ?? 2;
  const log: AdapterLog = options.log ?? (() => undefined);
  const port = options.port ?? 0;
  if (!(syncSeconds > 0))
    throw new FederationConfigInvalid('the sync interval must be a positive number of seconds');
  if (!Number.isInteger(port) || port < 0 || port + regions.length > 65535) {
    throw new FederationConfigInvalid(
      `--port must be 0 or a port with room for ${regions.length} more after it`,
    );
  }

  const cleanups: (() => Promise<void> | void)[] = [];
  const cleanup = async () => {
    for (const c of cleanups.splice(0).reverse()) await Promise.resolve(c()).catch(() => undefined);
  };

  const chosenStateFile = options.stateFile ?? (dataDir && join(dataDir, 'state.json'));
  // before anything is written: a special or unwritable folder is refused in one line (Node's
  // recursive mkdir under /proc never returns), and another running federation's state file is
  // neither overwritten nor removed
  if (dataDir) ensureWritableFolder(dataDir, 'the data folder');
  if (chosenStateFile) {
    refuseStateFileInUse(resolve(chosenStateFile));
    ensureWritableFolder(dirname(resolve(chosenStateFile)), 'the state file folder');
  }

  try {
    const engine = await startEngine({ memory, dataDir: dataDir && join(dataDir, 'dynamodb') });
    cleanups.push(() => engine.close());
    // (the data folder is ours now) a state file left by a run that did not stop cleanly must not
    // be mistaken for this one
    if (chosenStateFile) rmSync(resolve(chosenStateFile), { force: true });
    const scratch = memory ? mkdtempSync(join(tmpdir(), 'hcx-')) : undefined;
    if (scratch) cleanups.push(() => rmSync(scratch, { recursive: true, force: true }));
    const keysDir = join(dataDir ?? (scratch as string), 'keys');
    mkdirSync(keysDir, { recursive: true, mode: 0o700 });

    const tables: EngineTable[] = [
      { name: exchangeTableName(), def: EXCHANGE_TABLE },
      ...regions.map((r) => ({ name: provinceTableName(r), def: PROVINCE_TABLE })),
    ];
    for (const t of tables) await engine.ensureTable(t.def, t.name);

    const tokens = loadTokens(dataDir, regions);

    // servers first (their URLs go into the handlers' dependencies), handlers filled in after
    const exchangeHandlers: Record<string, LambdaHandler> = {};
    const exchangeExtra: Record<string, ExtraRoute> = {};
    const exchangeServer = createServiceServer({
      name: 'exchange',
      routes: routesOf('exchange'),
      handlers: exchangeHandlers,
      extraRoutes: exchangeExtra,
      principals: { operator: { token: tokens.operatorToken, name: 'local-operator' } },
      log,
    });
    const exchangeUrl = await startServer(exchangeServer, port, 'the exchange', cleanups);

    const provinceServers: {
      region: string;
      handlers: Record<string, LambdaHandler>;
      extra: Record<string, ExtraRoute>;
      url: string;
    }[] = [];
    for (const [i, region] of regions.entries()) {
      const handlers: Record<string, LambdaHandler> = {};
      const extra: Record<string, ExtraRoute> = {};
      const server = createServiceServer({
        name: `province-${region}`,
        routes: routesOf('province'),
        handlers,
        extraRoutes: extra,
        principals: { internal: { token: tokens.internalTokens[region], name: `local-province-${region}` } },
        log,
      });
      const url = await startServer(server, port === 0 ? 0 : port + 1 + i, `province ${region}`, cleanups);
      provinceServers.push({ region, handlers, extra, url });
    }

    const context: FederationContext = {
      client: engine.client,
      engineEndpoint: engine.endpoint,
      engineCredentials: engine.credentials,
      dataDir,
      keysDir,
      operatorToken: tokens.operatorToken,
      exchange: { tableName: exchangeTableName(), url: exchangeUrl },
      ...(options.retention ? { retention: options.retention } : {}),
      ...(options.codeFormat ? { codeFormat: options.codeFormat } : {}),
      ...(options.now ? { now: options.now } : {}),
      provinces: provinceServers.map(({ region, url }, i) => {
        const name = provinceName(region) as { en: string; zh: string };
        return {
          region,
          name: name.en,
          nameZh: name.zh,
          tableName: provinceTableName(region),
          url,
          internalToken: tokens.internalTokens[region],
          alg: specs[i].alg,
        };
      }),
    };

    const built = await options.buildHandlers(context);
    Object.assign(exchangeHandlers, built.exchange.routes);
    Object.assign(exchangeExtra, built.exchange.extraRoutes);
    const jobs: ScheduledJob[] = scheduledJobs('exchange', 'exchange', built.exchange);
    for (const p of provinceServers) {
      const h = built.provinces[p.region];
      if (!h) throw new FederationConfigInvalid(`no handlers were built for province ${p.region}`);
      Object.assign(p.handlers, h.routes);
      Object.assign(p.extra, h.extraRoutes);
      jobs.push(...scheduledJobs('province', `province-${p.region}`, h));
    }

    const provisioned = await options.provision(context);

    const scheduler = new Scheduler(jobs, log);
    cleanups.push(() => scheduler.stop());
    await scheduler.runAll(); // the provinces hold a trust list before anyone is told to try them
    scheduler.start(syncSeconds);
    engine.startSweeper(tables, options.sweepIntervalSeconds ?? 30, (e) =>
      log('ttl sweep failed', { error: (e as Error)?.name }),
    );

    const state: FederationState = {
      federationId: provisioned.federationId,
      pid: process.pid,
      exchangeUrl,
      operatorToken: tokens.operatorToken,
      federationJwks: provisioned.federationJwks,
      provinces: context.provinces.map((p) => ({
        region: p.region,
        name: p.name,
        url: p.url,
        internalToken: p.internalToken,
        enrollmentKeyFile: provisioned.enrollmentKeyFiles[p.region] ?? '',
      })),
    };
    const stateFile = resolve(chosenStateFile ?? join(scratch as string, 'state.json'));
    writeAtomically(stateFile, JSON.stringify(state, null, 2) + '\n');
    // removed first on stop (cleanups run in reverse), so a script never reads a dead federation's
    // state; only while it is still ours
    cleanups.push(() => {
      if (stateFilePid(stateFile) === process.pid) rmSync(stateFile, { force: true });
    });

    return {
      state,
      stateFile,
      context,
      runScheduled: () => scheduler.runAll(),
      stopExchange: () => closeServer(exchangeServer),
      startExchange: async () => {
        if (!exchangeServer.listening) await listen(exchangeServer, Number(new URL(exchangeUrl).port));
      },
      close: cleanup,
    };
  } catch (e) {
    await cleanup();
    throw e;
  }
}

async function startServer(
  server: Server,
  port: number,
  what: string,
  cleanups: (() => Promise<void> | void)[],
): Promise<string> {
  const url = await listen(server, port).catch((e: unknown) => {
    if (e instanceof Error && e.name === 'PortInUse') {
      throw new FederationConfigInvalid(
        `${e.message} (wanted for ${what}); choose another with --port, or --port 0`,
      );
    }
    throw e;
  });
  cleanups.push(() => closeServer(server));
  return url;
}
