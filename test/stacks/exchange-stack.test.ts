import { Match, Template } from 'aws-cdk-lib/assertions';
import { ROUTES } from '../../functions/routes';
import { TRUST_LIST_OBJECT_KEY } from '../../lib/constructs/env';
import type { ExchangeStack } from '../../lib/stacks/exchange-stack';
import { EXCHANGE_ACCESS } from '../../lib/stacks/exchange-stack';
import { buildApp, logicalId, refOf, rolesAllowed, statementsOf, toArray } from './fixture';

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
    expect(operator.map((r) => `${r.method} ${r.path}`)).toContain('POST /v1/provinces');
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

  it('lets only the mutation functions write the trust list, and only its one object', () => {
    // act
    const writers = rolesAllowed(template, 's3:PutObject');

    // assert
    expect(writers).toEqual(rolesOf((fn) => EXCHANGE_ACCESS[fn].publishesTrustList === true));
    const bucketId = logicalId(stack.trustList.bucket);
    const publish = stack.functions.get('exchange-publish-key');
    const puts = statementsOf(template, publish.role).filter((s) =>
      toArray(s.Action).includes('s3:PutObject'),
    );
    expect(puts.flatMap((s) => toArray(s.Resource))).toEqual([
      { 'Fn::Join': ['', [{ 'Fn::GetAtt': [bucketId, 'Arn'] }, `/${TRUST_LIST_OBJECT_KEY}`]] },
    ]);
    expect(puts.flatMap((s) => toArray(s.Resource)).map(refOf)).toEqual([bucketId]);
  });

  it('serves the trust list from a private bucket through CloudFront origin access control', () => {
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
        Origins: [Match.objectLike({ OriginAccessControlId: Match.anyValue() })],
        DefaultCacheBehavior: Match.objectLike({ ViewerProtocolPolicy: 'https-only' }),
      }),
    });
  });
});
