import { type App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { type FederationConfig, FederationConfigError } from './config/federation-config';
import { ExchangeStack } from './stacks/exchange-stack';
import { ProvinceStack } from './stacks/province-stack';

export interface HcxStacks {
  readonly exchange?: ExchangeStack;
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
  const exchange = options.province
    ? undefined
    : new ExchangeStack(app, EXCHANGE_STACK_NAME, {
        env: config.exchange.aws,
        description: `hcx exchange of federation ${config.federationId}`,
        config,
        pagesDir: options.pagesDir,
      });
  const provinces = selected.map(
    (province) =>
      new ProvinceStack(app, provinceStackName(province.region), {
        env: province.aws,
        description: `hcx province node ${province.region}`,
        config,
        province,
      }),
  );
  return { exchange, provinces };
}

/** Runs cdk-nag's AwsSolutions pack at synthesis: an unacknowledged finding fails the synth. */
export function addNagChecks(app: App): void {
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
}
