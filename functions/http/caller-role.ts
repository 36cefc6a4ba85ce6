/**
 * In AWS, an IAM route's function answers only sessions of the one caller role its stack created
 * for that route kind (the exchange operator role, a province's health-system role): API Gateway's
 * IAM authorizer alone lets any principal of the account with a broad `execute-api:Invoke` through,
 * and HTTP APIs have no resource policy to narrow it. The stack names the role in `CALLER_ROLE_ARN`;
 * the embedded runtime (bearer tokens) sets no such variable and is not checked here.
 */
import type { MiddlewareObj } from '@middy/core';
import { AccessDenied } from '../core/errors';
import { callerIdentity, type HttpEvent, type HttpResponse } from './event';

const ROLE_ARN = /^arn:(aws[a-z-]*):iam::([0-9]{12}):role\/(?:[^/]+\/)*([\w+=,.@-]+)$/;
const SESSION_ARN = /^arn:(aws[a-z-]*):sts::([0-9]{12}):assumed-role\/([\w+=,.@-]+)\/[^/]+$/;

/** Whether `userArn` is a session of the role `roleArn` (same partition, account and role name). */
export function isSessionOfRole(userArn: string | null, roleArn: string): boolean {
  const role = ROLE_ARN.exec(roleArn);
  const session = SESSION_ARN.exec(userArn ?? '');
  return !!role && !!session && role[1] === session[1] && role[2] === session[2] && role[3] === session[3];
}

/** Refuses (403 `FORBIDDEN`) a caller that is not a session of `roleArn`; a malformed ARN refuses everyone. */
export function callerRole<TBody>(roleArn: string): MiddlewareObj<HttpEvent<TBody>, HttpResponse> {
  return {
    before: (request) => {
      if (!isSessionOfRole(callerIdentity(request.event), roleArn)) {
        throw new AccessDenied('Only the caller role of this route may call it');
      }
    },
  };
}
