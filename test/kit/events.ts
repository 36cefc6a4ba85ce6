/** Builders for API Gateway HTTP API (payload 2.0) events and a Lambda context, as AWS sends them. */
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';

/** What a test says about a request; everything else gets a realistic default. */
export interface ApiEventInput {
  readonly method: string;
  /** Route template, e.g. `/v1/codes/{codeId}` (becomes `routeKey`). */
  readonly path: string;
  /** Actual path, e.g. `/v1/codes/abc`; defaults to `path` with `pathParameters` substituted. */
  readonly rawPath?: string;
  readonly pathParameters?: Record<string, string>;
  readonly queryStringParameters?: Record<string, string>;
  /** Header names are lower-cased, as API Gateway does. */
  readonly headers?: Record<string, string>;
  /** A string is sent as is; an object is JSON-encoded (and `content-type` defaults to JSON). */
  readonly body?: string | object;
  readonly isBase64Encoded?: boolean;
  /** IAM caller, as API Gateway fills it on IAM-authorized routes. */
  readonly iamUserArn?: string;
  /** The caller's address (`requestContext.http.sourceIp`; default 192.0.2.10). */
  readonly sourceIp?: string;
}

/** A complete APIGatewayProxyEventV2 (payload 2.0) event. */
export function apiEvent(input: ApiEventInput): APIGatewayProxyEventV2 {
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(input.headers ?? {})) headers[k.toLowerCase()] = v;
  let body: string | undefined;
  if (typeof input.body === 'string') body = input.body;
  else if (input.body !== undefined) {
    body = JSON.stringify(input.body);
    headers['content-type'] ??= 'application/json';
  }
  const rawPath =
    input.rawPath ??
    input.path.replace(/\{(\w+)\+?\}/g, (_, name: string) =>
      encodeURIComponent(input.pathParameters?.[name] ?? name),
    );
  const query = input.queryStringParameters;
  const rawQueryString = query ? new URLSearchParams(query).toString() : '';
  const now = Date.now();
  const requestContext: APIGatewayProxyEventV2['requestContext'] & { authorizer?: unknown } = {
    accountId: '123456789012',
    apiId: 'api1234567',
    domainName: 'api1234567.execute-api.eu-west-1.amazonaws.com',
    domainPrefix: 'api1234567',
    http: {
      method: input.method.toUpperCase(),
      path: rawPath,
      protocol: 'HTTP/1.1',
      sourceIp: input.sourceIp ?? '192.0.2.10',
      userAgent: headers['user-agent'] ?? 'hcx-test',
    },
    requestId: `req-${Math.random().toString(36).slice(2, 10)}`,
    routeKey: `${input.method.toUpperCase()} ${input.path}`,
    stage: '$default',
    time: new Date(now).toUTCString(),
    timeEpoch: now,
  };
  if (input.iamUserArn !== undefined) {
    requestContext.authorizer = {
      iam: {
        accessKey: 'AKIAEXAMPLE',
        accountId: '123456789012',
        callerId: 'AIDAEXAMPLE',
        cognitoIdentity: null,
        principalOrgId: '',
        userArn: input.iamUserArn,
        userId: 'AIDAEXAMPLE',
      },
    };
  }
  return {
    version: '2.0',
    routeKey: `${input.method.toUpperCase()} ${input.path}`,
    rawPath,
    rawQueryString,
    headers: { host: requestContext.domainName, ...headers },
    ...(query ? { queryStringParameters: { ...query } } : {}),
    ...(input.pathParameters ? { pathParameters: { ...input.pathParameters } } : {}),
    requestContext,
    ...(body !== undefined ? { body } : {}),
    isBase64Encoded: input.isBase64Encoded ?? false,
  };
}

/** A Lambda context fixture (the values Powertools puts in every log line). */
export function lambdaContext(overrides: Partial<Context> = {}): Context {
  const functionName = overrides.functionName ?? 'hcx-test-function';
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:eu-west-1:123456789012:function:${functionName}`,
    memoryLimitInMB: '256',
    awsRequestId: `c6af9ac6-7b61-11e6-9a41-${Math.floor(Math.random() * 1e12)
      .toString(16)
      .padStart(12, '0')}`,
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: '2026/01/01/[$LATEST]0123456789abcdef',
    getRemainingTimeInMillis: () => 30_000,
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
    ...overrides,
  };
}
