/**
 * The enrollment key in AWS at a province's sunset: the province sunset function deletes the Secrets
 * Manager secret holding it, at once and without recovery (DeleteSecret with
 * ForceDeleteWithoutRecovery; docs/sunset.md says why), says so in the deletion report's plan, and
 * treats a secret already gone (a retried sunset) as done. Secrets Manager and KMS cannot run here:
 * aws-sdk-client-mock, on the shapes they answer.
 */
import {
  DisableKeyCommand,
  GetPublicKeyCommand,
  KMSClient,
  ScheduleKeyDeletionCommand,
} from '@aws-sdk/client-kms';
import {
  DeleteSecretCommand,
  GetSecretValueCommand,
  InternalServiceError,
  ResourceNotFoundException,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { generateSigningKey } from '../../functions/core/keys';
import { secretShredder } from '../../functions/aws/secret-shredder';
import { fromEnv } from '../../functions/province/handlers/sunset';

const sm = mockClient(SecretsManagerClient);
const kms = mockClient(KMSClient);
const SECRET = 'arn:aws:secretsmanager:ap-east-1:111111111111:secret:hcx-330000-enrollment-AbCdEf';
const KEY = 'arn:aws:kms:ap-east-1:111111111111:key/0b7f0a1e-1111-4222-8333-944455556666';
const KID = 'NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs';

beforeEach(() => {
  sm.reset();
  kms.reset();
});

const env = (extra: Record<string, string> = {}): NodeJS.ProcessEnv => ({
  TABLE_NAME: 'hcx-330000',
  REGION_CODE: '330000',
  FEDERATION_ID: 'hcx-test',
  EXCHANGE_URL: '',
  FEDERATION_JWKS: '{"keys":[]}',
  ENROLLMENT_KEY_SECRET_ARN: SECRET,
  ...extra,
});

it('deletes the secret at once, without a recovery window', async () => {
  sm.on(DeleteSecretCommand).resolves({ ARN: SECRET, DeletionDate: new Date() });

  await secretShredder(SECRET, async () => KID, new SecretsManagerClient({})).destroy();

  const calls = sm.calls().map((c) => c.args[0]);
  expect(calls).toHaveLength(1);
  expect(calls[0]).toBeInstanceOf(DeleteSecretCommand);
  expect(calls[0].input).toEqual({ SecretId: SECRET, ForceDeleteWithoutRecovery: true });
});

it('states the destruction in the plan (the deletion report) before the secret is gone', async () => {
  const shredder = secretShredder(SECRET, async () => KID, new SecretsManagerClient({}));

  expect(await shredder.plan(1_000)).toEqual([
    { kid: KID, use: 'enrollment', store: 'secret', action: 'destroyed' },
  ]);
  expect(sm.calls()).toHaveLength(0);
});

it('treats a secret already deleted as destroyed (a retried sunset)', async () => {
  sm.on(DeleteSecretCommand).rejects(new ResourceNotFoundException({ message: 'not found', $metadata: {} }));

  await expect(
    secretShredder(SECRET, async () => KID, new SecretsManagerClient({})).destroy(),
  ).resolves.toBeUndefined();
});

it('fails loudly when Secrets Manager fails (nothing is claimed destroyed)', async () => {
  sm.on(DeleteSecretCommand).rejects(new InternalServiceError({ message: 'boom', $metadata: {} }));

  await expect(
    secretShredder(SECRET, async () => KID, new SecretsManagerClient({})).destroy(),
  ).rejects.toBeInstanceOf(InternalServiceError);
});

describe('the province sunset function (built from its Lambda environment)', () => {
  it("plans the enrollment secret's destruction with the kid of the key it holds", async () => {
    const key = await generateSigningKey('ES256');
    sm.on(GetSecretValueCommand).resolves({ SecretString: JSON.stringify(key.privateJwk) });

    const plan = await fromEnv(env()).keyShredder!.plan(1_000);

    expect(plan).toEqual([{ kid: key.kid, use: 'enrollment', store: 'secret', action: 'destroyed' }]);
  });

  it('disables and schedules the issuer key, then deletes the enrollment secret, reading neither', async () => {
    kms.on(DisableKeyCommand).resolves({});
    kms.on(ScheduleKeyDeletionCommand).resolves({ KeyId: KEY, PendingWindowInDays: 7 });
    sm.on(DeleteSecretCommand).resolves({ ARN: SECRET });

    // A retry in a new process: the issuer key may be disabled already, so destroying must not read it.
    await fromEnv(env({ ISSUER_KMS_KEY_ID: KEY })).keyShredder!.destroy();

    expect(kms.calls().map((c) => c.args[0].constructor.name)).toEqual([
      DisableKeyCommand.name,
      ScheduleKeyDeletionCommand.name,
    ]);
    expect(kms.commandCalls(GetPublicKeyCommand)).toHaveLength(0);
    expect(sm.calls().map((c) => c.args[0].input)).toEqual([
      { SecretId: SECRET, ForceDeleteWithoutRecovery: true },
    ]);
  });

  it('leaves the secret alone when the enrollment key comes from a file (the file wins)', async () => {
    const shredder = fromEnv(env({ ENROLLMENT_KEY_JWK: '{}' })).keyShredder!;

    const plan = await shredder.plan(1_000);
    await shredder.destroy();

    expect(plan).toEqual([]);
    expect(sm.calls()).toHaveLength(0);
  });
});
