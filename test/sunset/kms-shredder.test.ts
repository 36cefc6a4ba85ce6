/**
 * Crypto-erasure in AWS: the KMS shredder disables each key and schedules its deletion with the
 * shortest window KMS allows, says so in its plan (the deletion report), and treats a key already
 * pending deletion (a retried sunset) as done. KMS itself cannot run here: aws-sdk-client-mock, on
 * the shapes KMS answers.
 */
import {
  DisableKeyCommand,
  KMSClient,
  KMSInvalidStateException,
  NotFoundException,
  ScheduleKeyDeletionCommand,
} from '@aws-sdk/client-kms';
import { mockClient } from 'aws-sdk-client-mock';
import { kmsShredder } from '../../functions/aws/kms-shredder';
import { KEY_DELETION_WINDOW_DAYS } from '../../functions/core/sunset/report';

const kms = mockClient(KMSClient);
const KEY = 'arn:aws:kms:ap-east-1:111111111111:key/0b7f0a1e-1111-4222-8333-944455556666';
const KID = 'NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs';

beforeEach(() => kms.reset());

it('disables the key, then schedules its deletion with the shortest window', async () => {
  kms.on(DisableKeyCommand).resolves({});
  kms.on(ScheduleKeyDeletionCommand).resolves({
    KeyId: KEY,
    DeletionDate: new Date('2026-12-07T00:00:00Z'),
    KeyState: 'PendingDeletion',
    PendingWindowInDays: 7,
  });
  const shredder = kmsShredder([{ keyId: KEY, kid: KID, use: 'federation' }], new KMSClient({}));
  expect(await shredder.plan(1_000)).toEqual([
    {
      kid: KID,
      use: 'federation',
      store: 'kms',
      action: 'scheduled-deletion',
      deletionDate: 1_000 + KEY_DELETION_WINDOW_DAYS * 86_400,
    },
  ]);
  await shredder.destroy();
  const calls = kms.calls().map((c) => c.args[0]);
  expect(calls[0]).toBeInstanceOf(DisableKeyCommand);
  expect(calls[0].input).toEqual({ KeyId: KEY });
  expect(calls[1]).toBeInstanceOf(ScheduleKeyDeletionCommand);
  expect(calls[1].input).toEqual({ KeyId: KEY, PendingWindowInDays: 7 });
});

it('treats a key already pending deletion as destroyed (a retried sunset)', async () => {
  kms.on(DisableKeyCommand).resolves({});
  kms
    .on(ScheduleKeyDeletionCommand)
    .rejects(new KMSInvalidStateException({ message: 'pending deletion', $metadata: {} }));
  const shredder = kmsShredder([{ keyId: KEY, kid: KID, use: 'issuer' }], new KMSClient({}));
  await expect(shredder.destroy()).resolves.toBeUndefined();
});

it('fails loudly when the key cannot be found (nothing is claimed destroyed)', async () => {
  kms.on(DisableKeyCommand).rejects(new NotFoundException({ message: 'no such key', $metadata: {} }));
  const shredder = kmsShredder([{ keyId: KEY, kid: KID, use: 'issuer' }], new KMSClient({}));
  await expect(shredder.destroy()).rejects.toBeInstanceOf(NotFoundException);
});
