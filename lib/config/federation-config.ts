/**
 * The federation deployment configuration: one JSON file (`federation.config.json`) describing the
 * exchange and every province node, validated against `federation-config.schema.json` before any
 * stack is built. The interfaces below mirror the schema; `validateFederationConfig` is the only way
 * to obtain one, so an object of these types has always passed the schema.
 */
import { readFileSync } from 'node:fs';
import Ajv2020, { type ErrorObject } from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import type { CodeFormat } from '../../functions/core/profiles';
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

/** A custom domain CloudFront serves, with its certificate (ACM outside China, IAM in China). */
export interface CloudFrontDomain {
  readonly domainName: string;
  /** ACM certificate in us-east-1 (global partition). */
  readonly certificateArn?: string;
  /** Server certificate uploaded to IAM under the `/cloudfront/` path (AWS China). */
  readonly iamCertificateId?: string;
}

export interface ExchangeConfig {
  readonly aws: AwsEnvironment;
  readonly signingKey?: SigningKeyGenerations;
  readonly url?: string;
  /** The static site's base URL (stack output `StaticUrl`): nodes fetch the artefacts there first. */
  readonly staticUrl?: string;
  readonly allowedOrigins?: readonly string[];
  /** Custom domain of the trust-list distribution; required in AWS China. */
  readonly trustListDomain?: CloudFrontDomain;
  /** Who may assume the exchange operator role: account ids or role ARNs (default: its own account). */
  readonly operatorPrincipals?: readonly string[];
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
  /** Format the province issues codes in: `HCX2` (default) or `HCX1` (docs/code-format.md). */
  readonly codeFormat?: CodeFormat;
  /** Verify instances kept initialised (provisioned concurrency); 0 or absent: none. */
  readonly verifyProvisionedConcurrency?: number;
  /** Retention policy (docs/sunset.md); absent: the node's default. */
  readonly retention?: {
    readonly maxCodeLifetimeSeconds: number;
    readonly keepAfterExpirySeconds: number;
    readonly holderErasure: boolean;
  };
  /** Who may assume the health-system role: account ids or role ARNs (default: its own account). */
  readonly healthSystemPrincipals?: readonly string[];
}

/** Settings shared by every stack; `withDefaults` fills the absent ones. */
export interface FederationSettings {
  readonly logRetentionDays: number;
  readonly logLevel: 'DEBUG' | 'INFO' | 'WARN' | 'ERROR';
  readonly publicRateLimit: number;
  readonly publicBurstLimit: number;
  readonly reservedConcurrency: boolean;
  readonly syncStaleAfterSeconds: number;
  readonly signedRateLimit: number;
  readonly signedBurstLimit: number;
  readonly signedConcurrency: number;
  /**
   * Steady rate and burst of `POST /v1/codes/verify` on each province API (its own bucket): the route
   * that may run one scrypt derivation per request (a holder check). Route-wide: HTTP APIs have no
   * per-caller (usage plan / API key) throttling.
   */
  readonly verifyRateLimit: number;
  readonly verifyBurstLimit: number;
  /**
   * Holder checks one caller (IAM principal, else source address: IPv4, or IPv6 /64) may run per
   * 60 s window on a province node, across all its instances (functions/province/caller-limit.ts).
   */
  readonly holderChecksPerCaller: number;
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
  signedRateLimit: 20,
  signedBurstLimit: 40,
  signedConcurrency: 10,
  verifyRateLimit: 50,
  verifyBurstLimit: 100,
  holderChecksPerCaller: 30,
};

/** AWS China regions (partition `aws-cn`): the mainland. */
export const CHINA_REGIONS: readonly string[] = ['cn-north-1', 'cn-northwest-1'];

/** Whether the region is in AWS China (partition `aws-cn`). */
export function isChinaRegion(region: string): boolean {
  return region.startsWith('cn-');
}

/**
 * Regions that are disabled until an account opts in. CloudFront cannot deliver standard logs to a
 * bucket in one of them; an operator must enable the region before bootstrapping it.
 */
export const OPT_IN_REGIONS: ReadonlySet<string> = new Set([
  'af-south-1',
  'ap-east-1',
  'ap-east-2',
  'ap-south-2',
  'ap-southeast-3',
  'ap-southeast-4',
  'ap-southeast-5',
  'ap-southeast-6',
  'ap-southeast-7',
  'ca-west-1',
  'eu-central-2',
  'eu-south-1',
  'eu-south-2',
  'il-central-1',
  'me-central-1',
  'me-south-1',
  'mx-central-1',
]);

/** A configuration that is valid but probably not what a Chinese federation wants. */
export interface FederationConfigWarning {
  readonly code: 'DATA_LEAVES_MAINLAND';
  readonly field: string;
  readonly message: string;
}

/**
 * Warnings about a valid configuration: each province whose node (and so its holders' personal
 * information) is outside AWS China. PIPL and the Cybersecurity Law's localisation rules keep a
 * Chinese public health system's personal information in mainland China.
 */
export function federationConfigWarnings(config: FederationConfig): FederationConfigWarning[] {
  return config.provinces.flatMap((p, i) =>
    isChinaRegion(p.aws.region)
      ? []
      : [
          {
            code: 'DATA_LEAVES_MAINLAND' as const,
            field: `provinces[${i}].aws.region`,
            message:
              `province ${p.region} keeps its holders' personal information in ${p.aws.region}, outside ` +
              `mainland China (PIPL, Cybersecurity Law): use ${CHINA_REGIONS.join(' or ')} for a Chinese federation`,
          },
        ],
  );
}

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
  if (error.keyword === 'enum') {
    const allowed = (params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ');
    return new FederationConfigError(fieldPath(error.instancePath), `must be one of ${allowed}`, source);
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
  if (isChinaRegion(raw.exchange.aws.region) && !raw.exchange.trustListDomain?.iamCertificateId) {
    throw new FederationConfigError(
      'exchange.trustListDomain.iamCertificateId',
      'is required in AWS China: CloudFront there serves only an ICP-filed domain, with a certificate uploaded to IAM',
      source,
    );
  }
  if (
    !isChinaRegion(raw.exchange.aws.region) &&
    raw.exchange.trustListDomain &&
    !raw.exchange.trustListDomain.certificateArn
  ) {
    throw new FederationConfigError(
      'exchange.trustListDomain.certificateArn',
      'is required outside AWS China (an ACM certificate in us-east-1)',
      source,
    );
  }
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
