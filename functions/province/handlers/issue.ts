/** `POST /v1/codes` (province-internal): issue a code; 201 `{ code, codeId, expiresAt, qr }`. */
import { httpHandler, json, lazyHandler } from '../../http';
import { routeOf } from '../../routes';
import { issue, validIssueRequest } from '../codes';
import { kmsSignerFor } from '../../aws/kms-signer';
import { provinceDepsFromEnv, type ProvinceDeps } from '../deps';

const route = routeOf('province-issue');

export const create = (deps: ProvinceDeps) =>
  httpHandler({ route, schema: validIssueRequest }, async (event) =>
    json(201, await issue(deps, event.parsed)),
  );

/** Dependencies from the Lambda environment (no I/O), with the KMS signer of the issuer key. */
export const fromEnv = (env: NodeJS.ProcessEnv = process.env): ProvinceDeps =>
  provinceDepsFromEnv(env, { kmsSigner: kmsSignerFor });

export const handler = lazyHandler(() => create(fromEnv()));
