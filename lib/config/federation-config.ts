/**
 * The federation deployment configuration: one JSON file (`federation.config.json`) describing the
 * exchange and every province node, validated against `federation-config.schema.json` before any
 * stack is built. The interfaces below mirror the schema; `validateFederationConfig` is the only way
 * to obtain one, so an object of these types has always passed the schema.
 */
import { readFileSync } from 'node:fs';
import Ajv2020, { type ErrorObject } from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import schema from './federation-config.schema.json';

/** An AWS account and region a stack deploys into. */
export interface AwsEnvironment {
  readonly account: string;
  readonly region: string;
}

/** A public federation signing key, as the exchange exports it. */
export interface FederationJwk {
  readonly kty: 'EC';
  readonly crv: 'P-256';
  readonly x: string;
  readonly y: string;
  readonly kid: string;
  readonly alg?: 'ES256';
  readonly use?: 'sig';
}

/** Generations of a signing key: `active` signs, `next` (during a rotation) only exists. */
export interface SigningKeyGenerations {
  readonly active: number;
  readonly next?: number;
}

export interface ExchangeConfig {
  readonly aws: AwsEnvironment;
  readonly signingKey?: SigningKeyGenerations;
  readonly url?: string;
  readonly allowedOrigins?: readonly string[];
}

export interface ProvinceConfig {
  /** GB/T 2260 province-level region code, e.g. `330000`. */
  readonly region: string;
  readonly name: string;
  readonly aws: AwsEnvironment;
  readonly signingKey?: SigningKeyGenerations;
  /** Algorithm of the issuer key: `ES256` (default) or `SM2` (China regions only). */
  readonly algorithm?: 'ES256' | 'SM2';
  readonly allowedOrigins?: readonly string[];
  /** Verify instances kept initialised (provisioned concurrency); 0 or absent: none. */
  readonly verifyProvisionedConcurrency?: number;
  /** Retention policy (docs/sunset.md); absent: the node's default. */
  readonly retention?: {
    readonly maxCodeLifetimeSeconds: number;
    readonly keepAfterExpirySeconds: number;
    readonly holderErasure: boolean;
  };
}

/** Settings shared by every stack; `withDefaults` fills the absent ones. */
export interface FederationSettings {
  readonly logRetentionDays: number;
  readonly logLevel: 'DEBUG' | 'INFO' | 'WARN' | 'ERROR';
  readonly publicRateLimit: number;
  readonly publicBurstLimit: number;
  readonly reservedConcurrency: boolean;
  readonly syncStaleAfterSeconds: number;
}

export interface FederationConfig {
  readonly federationId: string;
  readonly federationJwks?: { readonly keys: readonly FederationJwk[] };
  readonly exchange: ExchangeConfig;
  readonly provinces: readonly ProvinceConfig[];
  readonly settings: FederationSettings;
}

export const DEFAULT_SETTINGS: FederationSettings = {
  logRetentionDays: 90,
  logLevel: 'INFO',
  publicRateLimit: 200,
  publicBurstLimit: 400,
  reservedConcurrency: true,
  syncStaleAfterSeconds: 1800,
};

/** The configuration file does not match the schema; `field` names the offending member. */
export class FederationConfigError extends Error {
  readonly code = 'FEDERATION_CONFIG_INVALID';
  constructor(
    readonly field: string,
    problem: string,
    readonly source = 'federation config',
  ) {
    super(`${source}: ${field} ${problem}`);
    this.name = 'FederationConfigError';
  }
}

// Compiled once, when the module loads.
const ajv = new Ajv2020({ allErrors: false, strict: true });
addFormats(ajv, ['uri']);
const validateSchema = ajv.compile(schema);

/** `/provinces/1/aws/account` → `provinces[1].aws.account`. */
function fieldPath(instancePath: string, child?: string): string {
  const parts = instancePath.split('/').slice(1);
  if (child !== undefined) parts.push(child);
  const joined = parts
    .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'))
    .reduce((acc, p) => (/^\d+$/.test(p) ? `${acc}[${p}]` : acc ? `${acc}.${p}` : p), '');
  return joined || '(root)';
}

function describe(error: ErrorObject, source?: string): FederationConfigError {
  const params = error.params as Record<string, unknown>;
  if (error.keyword === 'required') {
    const field = fieldPath(error.instancePath, String(params.missingProperty));
    return new FederationConfigError(field, 'is required', source);
  }
  if (error.keyword === 'additionalProperties') {
    const field = fieldPath(error.instancePath, String(params.additionalProperty));
    return new FederationConfigError(field, 'is not an allowed property', source);
  }
  return new FederationConfigError(fieldPath(error.instancePath), error.message ?? 'is invalid', source);
}

/** Validates a parsed configuration against the schema and the cross-field rules; throws `FederationConfigError`. */
export function validateFederationConfig(input: unknown, source?: string): FederationConfig {
  if (!validateSchema(input)) throw describe(validateSchema.errors![0], source);
  const raw = input as Omit<FederationConfig, 'settings'> & { settings?: Partial<FederationSettings> };
  const rotations: [string, SigningKeyGenerations | undefined][] = [
    ['exchange', raw.exchange.signingKey],
    ...raw.provinces.map((p, i): [string, SigningKeyGenerations | undefined] => [
      `provinces[${i}]`,
      p.signingKey,
    ]),
  ];
  for (const [where, keys] of rotations) {
    if (keys?.next !== undefined && keys.next === keys.active) {
      throw new FederationConfigError(
        `${where}.signingKey.next`,
        'must differ from signingKey.active',
        source,
      );
    }
  }
  raw.provinces.forEach((p, i) => {
    // AWS KMS offers SM2 keys only in the China partition (cn-north-1, cn-northwest-1).
    if (p.algorithm === 'SM2' && !p.aws.region.startsWith('cn-')) {
      throw new FederationConfigError(
        `provinces[${i}].algorithm`,
        `is SM2, which AWS KMS offers only in the China regions (cn-north-1, cn-northwest-1), not in ${p.aws.region}`,
        source,
      );
    }
  });
  const seen = new Map<string, number>();
  raw.provinces.forEach((p, i) => {
    const first = seen.get(p.region);
    if (first !== undefined) {
      throw new FederationConfigError(`provinces[${i}].region`, `repeats provinces[${first}].region`, source);
    }
    seen.set(p.region, i);
  });
  return { ...raw, settings: { ...DEFAULT_SETTINGS, ...raw.settings } };
}

/** Reads and validates a configuration file. */
export function loadFederationConfig(path: string): FederationConfig {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (cause) {
    throw new FederationConfigError('(root)', `is not readable JSON (${(cause as Error).message})`, path);
  }
  return validateFederationConfig(parsed, path);
}
