/** `POST /v1/codes` (province-internal): issue a code; 201 `{ code, codeId, expiresAt, qr }`. */
import { httpHandler, json, lazyHandler } from '../http';
import { issue, validIssueRequest } from '../province/codes';
import { provinceDepsFromEnv, type ProvinceDeps } from '../province/deps';
import { withMetrics } from '../province/http';

export const create = (deps: ProvinceDeps) =>
  httpHandler(
    { body: { types: ['application/json'], maxBytes: 8 * 1024 }, schema: validIssueRequest },
    async (event) => withMetrics(async () => json(201, await issue(deps, event.parsed))),
  );

/** Dependencies from the Lambda environment (no I/O); `handler` is `create(fromEnv())`, built lazily. */
export const fromEnv = provinceDepsFromEnv;

export const handler = lazyHandler(() => create(fromEnv()));
