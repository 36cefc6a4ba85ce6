import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import {
  CorsHttpMethod,
  HttpApi,
  HttpMethod,
  type HttpStage,
  LogGroupLogDestination,
} from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpIamAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import type { RouteAuth, RouteDefinition } from '../../functions/routes';
import type { HcxFunction } from './hcx-function';

export interface HcxHttpApiProps {
  readonly description: string;
  readonly routes: readonly RouteDefinition[];
  /** The function serving each route, by its `fn` folder. */
  readonly functions: ReadonlyMap<string, HcxFunction>;
  readonly allowedOrigins?: readonly string[];
  /** Per-route steady rate and burst, applied to every route (each route has its own bucket). */
  readonly rateLimit: number;
  readonly burstLimit: number;
  readonly logRetention: RetentionDays;
}

/** Routes that API Gateway authorizes with SigV4 (bearer tokens in the embedded runtime). */
const IAM_AUTHORIZED: ReadonlySet<RouteAuth> = new Set(['operator', 'internal']);

/** Why a route has no API Gateway authorizer (cdk-nag AwsSolutions-APIG4 acknowledgment). */
const OPEN_ROUTE_REASON: Partial<Record<RouteAuth, string>> = {
  public:
    'Public by design (federation keys, trust list, verification): anyone may read or verify; the route is throttled and keeps no per-holder record.',
  signed:
    "Authenticated by the application: the body is a JWS signed with the province's enrollment key (audience, iat, one-time nonce, region), checked before any state change.",
};

// Request facts only: no source IP, no path parameters, no query string (ids stay out of logs).
const ACCESS_LOG_FORMAT = AccessLogFormat.custom(
  JSON.stringify({
    requestId: '$context.requestId',
    requestTime: '$context.requestTimeEpoch',
    routeKey: '$context.routeKey',
    status: '$context.status',
    latency: '$context.responseLatency',
    integrationLatency: '$context.integrationLatency',
    integrationError: '$context.integrationErrorMessage',
    authorizerError: '$context.authorizer.error',
  }),
);

/**
 * An HTTP API from the route table: one Lambda integration per route, IAM authorization on
 * operator and province-internal routes, throttling on every route, JSON access logs.
 */
export class HcxHttpApi extends Construct {
  readonly api: HttpApi;
  readonly stage: HttpStage;

  constructor(scope: Construct, id: string, props: HcxHttpApiProps) {
    super(scope, id);
    const origins = props.allowedOrigins ?? [];
    this.api = new HttpApi(this, 'Api', {
      description: props.description,
      createDefaultStage: false,
      corsPreflight:
        origins.length === 0
          ? undefined
          : {
              allowOrigins: [...origins],
              allowMethods: [CorsHttpMethod.GET, CorsHttpMethod.POST, CorsHttpMethod.DELETE],
              allowHeaders: [
                'content-type',
                'if-none-match',
                'authorization',
                'x-amz-date',
                'x-amz-security-token',
              ],
              exposeHeaders: ['etag'],
              maxAge: Duration.hours(1),
            },
    });
    const accessLogs = new LogGroup(this, 'AccessLogs', {
      retention: props.logRetention,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.stage = this.api.addStage('DefaultStage', {
      stageName: '$default',
      autoDeploy: true,
      throttle: { rateLimit: props.rateLimit, burstLimit: props.burstLimit },
      accessLogSettings: { destination: new LogGroupLogDestination(accessLogs), format: ACCESS_LOG_FORMAT },
    });
    const iamAuthorizer = new HttpIamAuthorizer();
    for (const route of props.routes) {
      const fn = props.functions.get(route.fn);
      if (!fn) throw new Error(`no function for route ${route.method} ${route.path} (${route.fn})`);
      const [httpRoute] = this.api.addRoutes({
        path: route.path,
        methods: [HttpMethod[route.method]],
        integration: new HttpLambdaIntegration(`${route.fn}-${route.method}`, fn.invokeTarget),
        authorizer: IAM_AUTHORIZED.has(route.auth) ? iamAuthorizer : undefined,
      });
      const reason = OPEN_ROUTE_REASON[route.auth];
      if (reason) Validations.of(httpRoute).acknowledge({ id: 'AwsSolutions-APIG4', reason });
    }
  }

  /** The stage's invoke URL (`https://…/`). */
  get url(): string {
    return this.stage.url;
  }
}
