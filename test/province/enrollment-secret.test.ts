/**
 * The enrollment key in AWS: the revoke function's `fromEnv` (the one function granted the secret) reads the private JWK from the Secrets Manager
 * secret named by ENROLLMENT_KEY_SECRET_ARN on first use only, keeps it for the process, and fails
 * with a fixed message (never the value) when the secret holds something else. Secrets Manager is
 * mocked with aws-sdk-client-mock.
 */
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { InternalError } from '../../functions/core/errors';
import { generateSigningKey } from '../../functions/core/keys';
import { provinceDepsFromEnv } from '../../functions/province/deps';
import { fromEnv } from '../../functions/province/handlers/revoke-code';
import { fromEnv as verifyFromEnv } from '../../functions/province/handlers/verify';
import { secretStringFor } from '../../functions/aws/enrollment-secret';
import { captureLogs, thrown } from '../kit';
import { FEDERATION, ZJ } from './fixtures';

const SECRET_ARN = 'arn:aws:secretsmanager:ap-east-1:222222222222:secret:hcx-330000-enrollment-AbCdEf';
const ENV = {
  AWS_REGION: 'ap-east-1',
  REGION_CODE: ZJ,
  FEDERATION_ID: FEDERATION,
  TABLE_NAME: 'province',
  EXCHANGE_URL: 'https://exchange.invalid',
  FEDERATION_JWKS: '{"keys":[]}',
  ENROLLMENT_KEY_SECRET_ARN: SECRET_ARN,
};

const secrets = mockClient(SecretsManagerClient);
afterEach(() => secrets.reset());
afterAll(() => secrets.restore());

describe('the enrollment key from Secrets Manager', () => {
  it('reads the secret on first use only and signs with the key it holds', async () => {
    // prepare
    const key = await generateSigningKey('ES256');
    secrets.on(GetSecretValueCommand).resolves({ SecretString: JSON.stringify(key.privateJwk) });

    // act
    const deps = fromEnv(ENV);
    const callsBeforeUse = secrets.commandCalls(GetSecretValueCommand).length;
    const first = await deps.enrollmentSigner();
    const second = await deps.enrollmentSigner();

    // assert
    expect(callsBeforeUse).toBe(0);
    expect(secrets.commandCalls(GetSecretValueCommand).map((c) => c.args[0].input)).toEqual([
      { SecretId: SECRET_ARN },
    ]);
    expect(first.kid).toBe(key.kid);
    expect(second).toBe(first);
  });

  it('fails without quoting the value when the secret is still the placeholder, and reads it again next time', async () => {
    // prepare: the random string the stack creates the secret with
    const placeholder = 'k9#Xq2!placeholder-value-from-the-stack';
    const key = await generateSigningKey('ES256');
    secrets
      .on(GetSecretValueCommand)
      .resolvesOnce({ SecretString: placeholder })
      .resolves({ SecretString: JSON.stringify(key.privateJwk) });
    const deps = fromEnv(ENV);
    const logs = captureLogs();

    // act
    const failure = await deps.enrollmentSigner().then(
      () => undefined,
      (e: unknown) => e,
    );
    logs.stop();
    const retried = await deps.enrollmentSigner();

    // assert
    expect(failure).toBeInstanceOf(InternalError);
    expect((failure as InternalError).code).toBe('INTERNAL');
    expect(JSON.stringify(failure)).not.toContain(placeholder);
    expect(String((failure as InternalError).cause)).not.toContain(placeholder);
    expect(logs.text()).not.toContain(placeholder);
    expect(retried.kid).toBe(key.kid);
    expect(secrets.commandCalls(GetSecretValueCommand)).toHaveLength(2);
  });

  it('prefers a key file or JWK from the environment and then never calls Secrets Manager', async () => {
    // prepare
    const key = await generateSigningKey('ES256');

    // act
    const deps = fromEnv({ ...ENV, ENROLLMENT_KEY_JWK: JSON.stringify(key.privateJwk) });
    const signer = await deps.enrollmentSigner();

    // assert
    expect(signer.kid).toBe(key.kid);
    expect(secrets.commandCalls(GetSecretValueCommand)).toHaveLength(0);
  });

  it('is refused, as a deployment error, by a function not built to read it (it never loads the SDK)', () => {
    // act
    const built = thrown(() => provinceDepsFromEnv(ENV));

    // assert
    expect(built).toBeInstanceOf(InternalError);
    expect((built as InternalError).code).toBe('INTERNAL');
    expect(String((built as InternalError).cause)).toContain('ENROLLMENT_KEY_SECRET_ARN');
    expect(secrets.commandCalls(GetSecretValueCommand)).toHaveLength(0);
  });
});

describe('the caller key of the per-caller holder-check limit (verify only)', () => {
  const CALLER_ARN = 'arn:aws:secretsmanager:ap-east-1:222222222222:secret:hcx-330000-caller-AbCdEf';
  const VERIFY_ENV = { ...ENV, ENROLLMENT_KEY_SECRET_ARN: '', CALLER_KEY_SECRET_ARN: CALLER_ARN };

  it('builds verify without reading the secret, with the limit from HOLDER_CHECKS_PER_CALLER', () => {
    const deps = verifyFromEnv({ ...VERIFY_ENV, HOLDER_CHECKS_PER_CALLER: '12' });
    expect(secrets.commandCalls(GetSecretValueCommand)).toHaveLength(0);
    expect(deps.callerLimit?.perWindow).toBe(12);
    expect(deps.callerLimit?.windowSeconds).toBe(60);
  });

  it('is a deployment error for a function not built with Secrets Manager', () => {
    expect(thrown(() => provinceDepsFromEnv(VERIFY_ENV))).toBeInstanceOf(InternalError);
  });

  it('reads the value, and refuses an empty or short one with a fixed message', async () => {
    secrets.on(GetSecretValueCommand).resolves({ SecretString: 'k'.repeat(64) });
    expect(await secretStringFor(CALLER_ARN)).toBe('k'.repeat(64));
    secrets.on(GetSecretValueCommand).resolves({ SecretString: 'short-secret' });
    const e = await secretStringFor(CALLER_ARN).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(InternalError);
    expect(String((e as Error).message) + String((e as { cause?: Error }).cause?.message)).not.toContain(
      'short-secret',
    );
  });
});
