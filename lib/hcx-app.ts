import { type App, Stack, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { type FederationConfig, FederationConfigError, OPT_IN_REGIONS } from './config/federation-config';
import { accessLogBucket } from './constructs/trust-list-site';
import { ExchangeStack } from './stacks/exchange-stack';
import { ProvinceStack } from './stacks/province-stack';

export interface HcxStacks {
  readonly exchange?: ExchangeStack;
  /** The us-east-1 stack holding the exchange's CloudFront logs, when the exchange is in an opt-in region. */
  readonly cloudFrontLogs?: Stack;
  readonly provinces: readonly ProvinceStack[];
}

export interface HcxStackOptions {
  /** Synthesize only this province (its region code), and not the exchange. */
  readonly province?: string;
  /** `npm run build:pages` output to deploy with the exchange (`-c pagesDir=DIR`). */
  readonly pagesDir?: string;
}

/** Stack name of a province node, e.g. `HcxProvince330000`. */
export function provinceStackName(region: string): string {
  return `HcxProvince${region}`;
}

export const EXCHANGE_STACK_NAME = 'HcxExchange';
export const CLOUDFRONT_LOGS_STACK_NAME = 'HcxExchangeCloudFrontLogs';

/** Region of the CloudFront log bucket when the exchange's own region cannot receive the logs. */
export const CLOUDFRONT_LOGS_REGION = 'us-east-1';

/** The name of that bucket: fixed, so the exchange stack names it without a cross-region reference. */
export function cloudFrontLogBucketName(config: FederationConfig): string {
  return `${config.federationId}-cloudfront-logs-${config.exchange.aws.account}`;
}

/**
 * CloudFront cannot deliver standard logs to a bucket in an opt-in region (ap-east-1, me-south-1,
 * …): for an exchange there, a small stack in us-east-1 of the same account holds the log bucket,
 * deployed first (`cdk deploy HcxExchange` deploys it as a dependency).
 */
function addCloudFrontLogsStack(app: App, config: FederationConfig): Stack | undefined {
  if (!OPT_IN_REGIONS.has(config.exchange.aws.region)) return undefined;
  const stack = new Stack(app, CLOUDFRONT_LOGS_STACK_NAME, {
    env: { account: config.exchange.aws.account, region: CLOUDFRONT_LOGS_REGION },
    description: `hcx exchange CloudFront standard logs of federation ${config.federationId}`,
    terminationProtection: true,
  });
  accessLogBucket(stack, 'CloudFrontLogs', cloudFrontLogBucketName(config));
  return stack;
}

/**
 * Adds the exchange stack and one stack per province, each in its own account and region, from a
 * validated configuration.
 */
export function addHcxStacks(app: App, config: FederationConfig, options: HcxStackOptions = {}): HcxStacks {
  const selected = options.province
    ? config.provinces.filter((p) => p.region === options.province)
    : config.provinces;
  if (options.province && selected.length === 0) {
    throw new FederationConfigError(
      'province',
      `${options.province} is not a province of the configuration`,
      'context',
    );
  }
  const cloudFrontLogs = options.province ? undefined : addCloudFrontLogsStack(app, config);
  const exchange = options.province
    ? undefined
    : new ExchangeStack(app, EXCHANGE_STACK_NAME, {
        env: config.exchange.aws,
        description: `hcx exchange of federation ${config.federationId}`,
        terminationProtection: true,
        config,
        pagesDir: options.pagesDir,
        cloudFrontLogBucket: cloudFrontLogs && {
          bucketName: cloudFrontLogBucketName(config),
          region: CLOUDFRONT_LOGS_REGION,
        },
      });
  if (exchange && cloudFrontLogs) exchange.addStackDependency(cloudFrontLogs);
  const provinces = selected.map(
    (province) =>
      new ProvinceStack(app, provinceStackName(province.region), {
        env: province.aws,
        description: `hcx province node ${province.region}`,
        terminationProtection: true,
        config,
        province,
      }),
  );
  return { exchange, cloudFrontLogs, provinces };
}

/** Runs cdk-nag's AwsSolutions pack at synthesis: an unacknowledged finding fails the synth. */
export function addNagChecks(app: App): void {
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
}
