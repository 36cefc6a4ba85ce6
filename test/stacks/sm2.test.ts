/** Provinces configured with `"algorithm": "SM2"`: an SM2 issuer key in KMS, China regions only. */
import { Template } from 'aws-cdk-lib/assertions';
import { type FederationConfigError, validateFederationConfig } from '../../lib/config/federation-config';
import { buildApp, defaultConfig, logicalId } from './fixture';

/** The default configuration as plain JSON, with Zhejiang on SM2 in `region`. */
function withSm2Province(region: string): unknown {
  const input = JSON.parse(JSON.stringify(defaultConfig())) as { provinces: Record<string, unknown>[] };
  input.provinces[0].algorithm = 'SM2';
  (input.provinces[0].aws as Record<string, unknown>).region = region;
  return input;
}

describe('SM2 issuer keys', () => {
  it('creates a KMS SM2 SIGN_VERIFY issuer key for an SM2 province in a China region, P-256 for the others', () => {
    const config = validateFederationConfig(withSm2Province('cn-north-1'));
    const { stacks } = buildApp({ config });
    const [zj, gd] = stacks.provinces;

    const zjKey = Template.fromStack(zj).toJSON().Resources[logicalId(zj.issuerKey.key)].Properties;
    const gdKey = Template.fromStack(gd).toJSON().Resources[logicalId(gd.issuerKey.key)].Properties;

    expect(zj.region).toBe('cn-north-1');
    expect([zjKey.KeySpec, zjKey.KeyUsage]).toEqual(['SM2', 'SIGN_VERIFY']);
    expect([gdKey.KeySpec, gdKey.KeyUsage]).toEqual(['ECC_NIST_P256', 'SIGN_VERIFY']);
  });

  it('lets the issue function sign an SM2 key only with SM2DSA over a digest, a P-256 key only with ECDSA_SHA_256', () => {
    const config = validateFederationConfig(withSm2Province('cn-north-1'));
    const { stacks } = buildApp({ config });
    const conditions = (stack: (typeof stacks.provinces)[number]) =>
      Object.values(Template.fromStack(stack).findResources('AWS::IAM::Policy'))
        .flatMap((p) => p.Properties.PolicyDocument.Statement as { Action: unknown; Condition?: unknown }[])
        .filter((s) => ([] as unknown[]).concat(s.Action).includes('kms:Sign'))
        .map((s) => s.Condition);
    const [zj, gd] = stacks.provinces;

    expect(conditions(zj)).toEqual([
      { StringEquals: { 'kms:SigningAlgorithm': 'SM2DSA', 'kms:MessageType': 'DIGEST' } },
    ]);
    expect(conditions(gd)).toEqual([
      { StringEquals: { 'kms:SigningAlgorithm': 'ECDSA_SHA_256', 'kms:MessageType': 'DIGEST' } },
    ]);
  });

  it.each(['ap-east-1', 'us-east-1'])(
    'refuses SM2 in %s with an error naming the field and the China regions',
    (region) => {
      let error: FederationConfigError | undefined;
      try {
        validateFederationConfig(withSm2Province(region));
      } catch (e) {
        error = e as FederationConfigError;
      }
      expect(error?.code).toBe('FEDERATION_CONFIG_INVALID');
      expect(error?.field).toBe('provinces[0].algorithm');
      expect(error?.message).toContain('cn-north-1');
    },
  );

  it('refuses an algorithm that is not ES256 or SM2', () => {
    const input = withSm2Province('cn-north-1') as { provinces: Record<string, unknown>[] };
    input.provinces[0].algorithm = 'EdDSA';
    expect(() => validateFederationConfig(input)).toThrow(/provinces\[0\]\.algorithm/);
  });
});
