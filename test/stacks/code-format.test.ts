/**
 * A province's issuance format (`codeFormat` in the federation configuration, docs/code-format.md):
 * validated by the configuration schema with a clear error, HCX2 unless set, given by the province
 * stack to the issue function only (`CODE_FORMAT`), and read by that function's handler when built
 * from the environment its stack sets.
 */
import * as path from 'node:path';
import { Template } from 'aws-cdk-lib/assertions';
import { InternalError } from '../../functions/core/errors';
import { handlerEntry, ROUTES } from '../../functions/routes';
import type { ProvinceDeps } from '../../functions/province/deps';
import { PROJECT_ROOT } from '../../lib/constructs/bundling';
import {
  type FederationConfig,
  type FederationConfigError,
  validateFederationConfig,
} from '../../lib/config/federation-config';
import { functionEnvironments } from '../../lib/function-environments';
import { thrown } from '../kit';
import { buildApp, defaultConfig, logicalId } from './fixture';

/** The default configuration with Zhejiang's `codeFormat` set to `format` (raw JSON, unvalidated). */
function withFormat(format: unknown): Record<string, unknown> {
  const raw = JSON.parse(JSON.stringify(defaultConfig())) as { provinces: Record<string, unknown>[] };
  raw.provinces[0].codeFormat = format;
  return raw;
}

/** CODE_FORMAT of every function of Zhejiang's stack built from `config`, by function name. */
function codeFormats(config: FederationConfig): Record<string, unknown> {
  const node = buildApp({ province: '330000', config }).stacks.provinces[0];
  const functions = Template.fromStack(node).findResources('AWS::Lambda::Function');
  const names = new Map(
    ['province-issue', 'province-verify', 'province-revoke-code', 'province-sync'].map((fn) => [
      logicalId(node.functions.get(fn).function),
      fn,
    ]),
  );
  return Object.fromEntries(
    [...names].map(([id, fn]) => [fn, functions[id].Properties.Environment?.Variables?.CODE_FORMAT]),
  );
}

describe('the codeFormat setting of a province', () => {
  it('is absent from the shipped configuration: its provinces issue HCX2', () => {
    expect(defaultConfig().provinces.map((p) => p.codeFormat)).toEqual([undefined, undefined, undefined]);
    expect(codeFormats(defaultConfig())).toEqual({
      'province-issue': 'HCX2',
      'province-verify': undefined,
      'province-revoke-code': undefined,
      'province-sync': undefined,
    });
  });

  it('accepts HCX1 and HCX2, and the stack gives it to the issue function only', () => {
    const hcx1 = validateFederationConfig(withFormat('HCX1'));
    expect(validateFederationConfig(withFormat('HCX2')).provinces[0].codeFormat).toBe('HCX2');
    expect(hcx1.provinces[0].codeFormat).toBe('HCX1');
    expect(codeFormats(hcx1)).toEqual({
      'province-issue': 'HCX1',
      'province-verify': undefined,
      'province-revoke-code': undefined,
      'province-sync': undefined,
    });
  });

  it.each([['HCX3'], ['hcx1'], [''], [1]])(
    'refuses %j with a clear error naming the field and the formats',
    (bad) => {
      const error = thrown(() => validateFederationConfig(withFormat(bad))) as FederationConfigError;
      expect(error.code).toBe('FEDERATION_CONFIG_INVALID');
      expect(error.field).toBe('provinces[0].codeFormat');
      expect(error.message).toBe('federation config: provinces[0].codeFormat must be one of "HCX2", "HCX1"');
    },
  );

  it('is read by the issue function built from the environment its stack sets', () => {
    // prepare: Zhejiang alone, configured for HCX1
    const config = validateFederationConfig(withFormat('HCX1'));
    const env = functionEnvironments({ ...config, provinces: [config.provinces[0]] }).find(
      (f) => f.fn === 'province-issue',
    )!.env;
    const route = ROUTES.find((r) => r.fn === 'province-issue')!;
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const mod = require(path.join(PROJECT_ROOT, handlerEntry(route))) as {
      fromEnv: (env: NodeJS.ProcessEnv) => ProvinceDeps;
    };
    const lambdaEnv = { ...env, AWS_REGION: 'ap-east-1' };

    // act
    const deps = mod.fromEnv(lambdaEnv);
    const without = mod.fromEnv({ ...lambdaEnv, CODE_FORMAT: undefined });
    const bad = thrown(() => mod.fromEnv({ ...lambdaEnv, CODE_FORMAT: 'HCX3' })) as InternalError;

    // assert
    expect(env.CODE_FORMAT).toBe('HCX1');
    expect(deps.codeFormat).toBe('HCX1');
    expect(without.codeFormat).toBe('HCX2');
    expect(bad).toBeInstanceOf(InternalError);
    expect(bad.code).toBe('INTERNAL');
    expect((bad.cause as Error).message).toBe('CODE_FORMAT must be one of HCX2, HCX1, not "HCX3"');
  });
});
