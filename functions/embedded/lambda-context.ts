/**
 * The Lambda context the embedded runtime passes to every handler (HTTP and scheduled), as Lambda
 * builds it: names, request id and the remaining-time clock.
 */
import type { Context } from 'aws-lambda';

/** The account id of every local ARN. */
export const LOCAL_ACCOUNT_ID = '000000000000';

/** A Lambda-like context: names, request id, and the remaining-time clock. */
export function lambdaContext(functionName: string, awsRequestId: string, timeoutMs: number): Context {
  const deadline = Date.now() + timeoutMs;
  const unsupported = () => {
    throw new Error('callback-style completion is not supported; return a promise');
  };
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:local:${LOCAL_ACCOUNT_ID}:function:${functionName}`,
    memoryLimitInMB: '1024',
    awsRequestId,
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: `local/${process.pid}`,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: unsupported,
    fail: unsupported,
    succeed: unsupported,
  };
}
