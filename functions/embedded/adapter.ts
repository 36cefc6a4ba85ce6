/**
 * The local stand-in for API Gateway HTTP APIs and the Lambda runtime, in four modules:
 * - ./server.ts: a node:http server per service instance that calls the Lambda handlers (401, 404,
 *   405, 413 and 504 as API Gateway answers them);
 * - ./router.ts: route templates from the route table matched against a request;
 * - ./event.ts: the payload 2.0 event API Gateway sends for a request (`toEvent`);
 * - ./lambda-context.ts: the Lambda context (`lambdaContext`).
 * This module only gathers them for callers that want the whole stand-in.
 */
export * from './event';
export * from './lambda-context';
export * from './router';
export * from './server';
