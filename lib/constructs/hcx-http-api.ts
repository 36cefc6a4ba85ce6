import { type CfnElement, CfnOutput, Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import {
  type CfnStage,
  CorsHttpMethod,
  HttpApi,
  HttpMethod,
  type HttpStage,
  LogGroupLogDestination,
} from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpIamAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import * as iam from 'aws-cdk-lib/aws-iam';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import type { RouteAuth, RouteDefinition } from '../../functions/routes';
import { ENV } from './env';
import type { HcxFunction } from './hcx-function';

export interface HcxHttpApiProps {
  /** The API's name, distinct per stack (`hcx-exchange-<federation>`, `hcx-province-<region>`). */
  readonly apiName: string;
  readonly description: string;
  readonly routes: readonly RouteDefinition[];
  /** The function serving each route, by its `fn` folder. */
  readonly functions: ReadonlyMap<string, HcxFunction>;
  readonly allowedOrigins?: readonly string[];
  /** Per-route steady rate and burst, applied to every route (each route has its own bucket). */
  readonly rateLimit: number;
  readonly burstLimit: number;
  /** Routes with their own steady rate and burst instead of the stage's, by auth kind. */
  readonly routeLimits?: Partial<
    Record<RouteAuth, { readonly rateLimit: number; readonly burstLimit: number }>
  >;
  /** Single routes with their own steady rate and burst, by `METHOD path` (over `routeLimits`). */
  readonly pathLimits?: Readonly<Record<string, { readonly rateLimit: number; readonly burstLimit: number }>>;
  readonly logRetention: RetentionDays;
}

/** Who may assume a caller role: account ids (their root, i.e. whom that account lets) or role ARNs. */
function principalOf(principal: string): iam.IPrincipal {
  return /^[0-9]{12}$/.test(principal)
    ? new iam.AccountPrincipal(principal)
    : new iam.ArnPrincipal(principal);
}

/** `/v1/provinces/{region}/suspend` → `/v1/provinces/*\/suspend` (an execute-api resource pattern). */
export function routeResourcePath(path: string): string {
  return path.replace(/\{[^}]+\}/g, '*');
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
    // Who called an IAM route (the caller role's session; empty on public and signed routes).
    caller: '$context.identity.userArn',
  }),
);

/**
 * An HTTP API from the route table: one Lambda integration per route, IAM authorization on
 * operator and province-internal routes, throttling on every route, JSON access logs.
 */
export class HcxHttpApi extends Construct {
  readonly api: HttpApi;
  readonly stage: HttpStage;
  private readonly routes: readonly RouteDefinition[];
  private readonly functions: ReadonlyMap<string, HcxFunction>;

  constructor(scope: Construct, id: string, props: HcxHttpApiProps) {
    super(scope, id);
    const origins = props.allowedOrigins ?? [];
    this.routes = props.routes;
    this.functions = props.functions;
    this.api = new HttpApi(this, 'Api', {
      apiName: props.apiName,
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
    const routeSettings: Record<string, { ThrottlingRateLimit: number; ThrottlingBurstLimit: number }> = {};
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
      const limits = props.pathLimits?.[`${route.method} ${route.path}`] ?? props.routeLimits?.[route.auth];
      if (limits) {
        routeSettings[`${route.method} ${route.path}`] = {
          ThrottlingRateLimit: limits.rateLimit,
          ThrottlingBurstLimit: limits.burstLimit,
        };
        // A route setting names a route that must exist first.
        this.stage.node.addDependency(httpRoute);
      }
    }
    if (Object.keys(routeSettings).length > 0) {
      (this.stage.node.defaultChild as CfnStage).addPropertyOverride('RouteSettings', routeSettings);
    }
  }

  /** The execute-api ARNs of the routes of one auth kind (what `execute-api:Invoke` is granted on). */
  routeArns(auth: RouteAuth): string[] {
    return this.routes
      .filter((r) => r.auth === auth)
      .map((r) => this.api.arnForExecuteApi(r.method, routeResourcePath(r.path), this.stage.stageName));
  }

  /**
   * The one role that may call the routes of `auth` (IAM-authorized routes): assumable by the given
   * accounts or roles, allowed `execute-api:Invoke` on exactly those routes. HTTP APIs have no
   * resource policy, so a caller in another account assumes this role. Outputs the role ARN as
   * `<id>Arn` and the route ARNs as `<id>Routes`.
   */
  callerRole(id: string, auth: RouteAuth, principals: readonly string[], description: string): iam.Role {
    const [first, ...rest] = principals.map(principalOf);
    const role = new iam.Role(this, id, {
      assumedBy: rest.length > 0 ? new iam.CompositePrincipal(first, ...rest) : first,
      description,
      maxSessionDuration: Duration.hours(1),
    });
    const arns = this.routeArns(auth);
    // The functions of those routes answer this role's sessions only (functions/http/caller-role.ts).
    for (const r of this.routes.filter((x) => x.auth === auth)) {
      this.functions.get(r.fn)?.setting(ENV.CALLER_ROLE_ARN, role.roleArn);
    }
    role.addToPolicy(new iam.PolicyStatement({ actions: ['execute-api:Invoke'], resources: arns }));
    // cdk-nag names each wildcard resource: the path parameters of the named routes.
    const stack = Stack.of(this);
    const apiId = stack.resolve((this.api.node.defaultChild as CfnElement).logicalId) as string;
    for (const r of this.routes.filter((x) => x.auth === auth && x.path.includes('{'))) {
      const resource = `arn:<AWS::Partition>:execute-api:${stack.region}:${stack.account}:<${apiId}>/${this.stage.stageName}/${r.method}${routeResourcePath(r.path)}`;
      Validations.of(role).acknowledge({
        id: `AwsSolutions-IAM5[Resource::${resource}]`,
        reason: `The wildcard is a path parameter of the one route ${r.method} ${r.path} of this API and stage.`,
      });
    }
    new CfnOutput(this, `${id}Arn`, { value: role.roleArn, description });
    new CfnOutput(this, `${id}Routes`, {
      value: arns.join(' '),
      description: `execute-api ARNs ${id} may invoke`,
    });
    return role;
  }

  /** The stage's invoke URL (`https://…/`). */
  get url(): string {
    return this.stage.url;
  }
}
