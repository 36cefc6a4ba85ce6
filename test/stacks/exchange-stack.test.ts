import { Match, Template } from 'aws-cdk-lib/assertions';
import {
  TRUST_LIST_OBJECT_KEY as FUNCTIONS_OBJECT_KEY,
  TRUST_LIST_PUBLISH_FAILED_METRIC,
} from '../../functions/exchange/trust-list-sink';
import { ROUTES, SCHEDULED } from '../../functions/routes';
import {
  STATIC_OBJECT_KEYS,
  TRUST_LIST_OBJECT_KEY,
  TRUST_LIST_PUBLISH_FAILED_METRIC as LIB_PUBLISH_FAILED_METRIC,
} from '../../lib/constructs/env';
import type { ExchangeStack } from '../../lib/stacks/exchange-stack';
import { EXCHANGE_ACCESS } from '../../lib/stacks/exchange-stack';
import { buildApp, logicalId, rolesAllowed, statementsOf, toArray } from './fixture';

let stack: ExchangeStack;
let template: Template;

beforeAll(() => {
  stack = buildApp().stacks.exchange!;
  template = Template.fromStack(stack);
});

function rolesOf(predicate: (fn: string) => boolean): string[] {
  return Object.keys(EXCHANGE_ACCESS)
    .filter(predicate)
    .map((fn) => logicalId(stack.functions.get(fn).role))
    .sort();
}

describe('ExchangeStack', () => {
  it('requires IAM authorization on the operator route', () => {
    const operator = ROUTES.filter((r) => r.service === 'exchange' && r.auth === 'operator');
    expect(operator.map((r) => `${r.method} ${r.path}`)).toEqual(
      expect.arrayContaining(['POST /v1/provinces', 'POST /v1/provinces/{region}/suspend']),
    );
    for (const r of operator) {
      template.hasResourceProperties('AWS::ApiGatewayV2::Route', {
        RouteKey: `${r.method} ${r.path}`,
        AuthorizationType: 'AWS_IAM',
      });
    }
  });

  it('throttles the public routes and leaves their authentication to the application', () => {
    const open = ROUTES.filter(
      (r) => r.service === 'exchange' && (r.auth === 'public' || r.auth === 'signed'),
    );
    for (const r of open) {
      template.hasResourceProperties('AWS::ApiGatewayV2::Route', {
        RouteKey: `${r.method} ${r.path}`,
        AuthorizationType: 'NONE',
      });
    }
    template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      DefaultRouteSettings: { ThrottlingRateLimit: 200, ThrottlingBurstLimit: 400 },
    });
  });

  it('lets only the mutation and trust-list functions sign with the federation key', () => {
    const expected = rolesOf((fn) => EXCHANGE_ACCESS[fn].federationKey === 'sign');
    expect(expected.length).toBeGreaterThan(0);
    expect(rolesAllowed(template, 'kms:Sign')).toEqual(expected);
  });

  it('lets only the mutation functions and the scheduled publisher write the static artefacts, and only their keys', () => {
    // prepare: every exchange route that changes the log (POST), and the scheduled publisher
    const mutations = ROUTES.filter((r) => r.service === 'exchange' && r.method === 'POST').map((r) => r.fn);
    const publisher = SCHEDULED.filter((d) => d.service === 'exchange').map((d) => d.fn);
    expect(publisher).toEqual(['exchange-publish-trust-list']);
    const expected = [...mutations, ...publisher].map((fn) => logicalId(stack.functions.get(fn).role)).sort();

    // act
    const writers = rolesAllowed(template, 's3:PutObject');

    // assert: exactly those roles, each on the list, the deltas and the batches of the trust-list bucket only
    expect(writers).toEqual(expected);
    expect(STATIC_OBJECT_KEYS).toEqual(['v1/trust-list', 'v1/trust-list/deltas/*', 'v1/status-batches/*']);
    expect(FUNCTIONS_OBJECT_KEY).toBe(TRUST_LIST_OBJECT_KEY);
    const bucketId = logicalId(stack.trustList.bucket);
    for (const fn of [...mutations, ...publisher]) {
      const puts = statementsOf(template, stack.functions.get(fn).role).filter((st) =>
        toArray(st.Action).some((a) => a.startsWith('s3:')),
      );
      const arn = (key: string) => ({ 'Fn::Join': ['', [{ 'Fn::GetAtt': [bucketId, 'Arn'] }, `/${key}`]] });
      expect(puts.map((st) => [toArray(st.Action), toArray(st.Resource)])).toEqual([
        [['s3:PutObject'], STATIC_OBJECT_KEYS.map(arn)],
        // the deltas only may be removed (at the federation's sunset)
        [['s3:DeleteObject'], [arn('v1/trust-list/deltas/*')]],
      ]);
    }
  });

  it('re-publishes the trust list on a schedule well inside its lifetime', () => {
    // prepare
    const publisher = stack.functions.get('exchange-publish-trust-list');

    // assert: every 15 minutes, against a 24-hour list lifetime
    template.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(15 minutes)',
      Targets: [Match.objectLike({ Arn: { 'Fn::GetAtt': [logicalId(publisher.function), 'Arn'] } })],
    });
  });

  it('alarms when a publication of the trust list to S3 fails', () => {
    expect(LIB_PUBLISH_FAILED_METRIC).toBe(TRUST_LIST_PUBLISH_FAILED_METRIC);
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'hcx',
      MetricName: TRUST_LIST_PUBLISH_FAILED_METRIC,
      Dimensions: [{ Name: 'service', Value: 'hcx-exchange' }],
      Statistic: 'Sum',
      Threshold: 1,
      AlarmActions: [Match.anyValue()],
    });
  });

  it('serves the trust list from a private bucket through a CloudFront origin access identity in AWS China', () => {
    template.hasResourceProperties('AWS::S3::Bucket', {
      VersioningConfiguration: { Status: 'Enabled' },
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      },
    });
    template.hasResourceProperties('AWS::CloudFront::Distribution', {
      DistributionConfig: Match.objectLike({
        Origins: [
          Match.objectLike({
            S3OriginConfig: { OriginAccessIdentity: Match.anyValue() },
            OriginAccessControlId: Match.absent(),
          }),
        ],
        DefaultCacheBehavior: Match.objectLike({ ViewerProtocolPolicy: 'https-only' }),
      }),
    });
  });

  it('serves the status batches with a long-lived cache and lets old deltas expire from the bucket', () => {
    // assert: the batches' behaviour, same origin and CORS policy as the list, on a year-long cache policy
    const distribution = Object.values(template.findResources('AWS::CloudFront::Distribution'))[0] as {
      Properties: { DistributionConfig: Record<string, unknown> };
    };
    const config = distribution.Properties.DistributionConfig as {
      DefaultCacheBehavior: { TargetOriginId: string; ResponseHeadersPolicyId?: unknown };
      CacheBehaviors: { PathPattern: string; TargetOriginId: string; CachePolicyId: { Ref: string } }[];
    };
    const [batches] = config.CacheBehaviors;
    expect(config.CacheBehaviors.map((b) => b.PathPattern)).toEqual(['/v1/status-batches/*']);
    expect(batches.TargetOriginId).toBe(config.DefaultCacheBehavior.TargetOriginId);
    const policy = template.findResources('AWS::CloudFront::CachePolicy')[batches.CachePolicyId.Ref] as {
      Properties: { CachePolicyConfig: { MinTTL: number; MaxTTL: number } };
    };
    expect(policy.Properties.CachePolicyConfig).toEqual(
      expect.objectContaining({ MinTTL: 86_400, MaxTTL: 365 * 86_400 }),
    );
    template.hasResourceProperties('AWS::S3::Bucket', {
      LifecycleConfiguration: {
        Rules: Match.arrayWith([
          Match.objectLike({ Prefix: 'v1/trust-list/deltas/', ExpirationInDays: 2, Status: 'Enabled' }),
        ]),
      },
    });
  });
});
