import { ArnFormat, Duration, Stack } from 'aws-cdk-lib';
import {
  Alarm,
  ComparisonOperator,
  Metric,
  TreatMissingData,
  type IMetric,
} from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import { type CfnRule, Rule } from 'aws-cdk-lib/aws-events';
import { SnsTopic } from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { METRIC_NAMESPACE, REPLICA_AGE_METRIC, TRUST_LIST_PUBLISH_FAILED_METRIC } from './env';
import type { HcxFunction } from './hcx-function';

const PERIOD = Duration.minutes(5);

/**
 * The stack's alarms, all notifying one encrypted SNS topic (subscribe the on-call address to it):
 * errors and throttles of every function, the staleness of a province's registry replica, and
 * failed publications of the exchange's trust list.
 */
export class Monitoring extends Construct {
  readonly topic: Topic;

  constructor(scope: Construct, id: string, props: { readonly encryptionKey: IKey }) {
    super(scope, id);
    this.topic = new Topic(this, 'AlarmTopic', { masterKey: props.encryptionKey, enforceSSL: true });
    // enforceSSL's topic policy replaces the default one that let CloudWatch publish, and SnsAction
    // adds no Allow: without this the alarms would change state and notify nobody.
    const stack = Stack.of(this);
    this.topic.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'CloudWatchAlarmsOfThisAccountPublish',
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['sns:Publish'],
        resources: [this.topic.topicArn],
        conditions: {
          StringEquals: { 'aws:SourceAccount': stack.account },
          ArnLike: {
            'aws:SourceArn': stack.formatArn({
              service: 'cloudwatch',
              resource: 'alarm',
              resourceName: '*',
              arnFormat: ArnFormat.COLON_RESOURCE_NAME,
            }),
          },
        },
      }),
    );
  }

  /** Alarms when the function fails or is throttled in any 5-minute period. */
  watchFunction(id: string, fn: HcxFunction): void {
    this.alarm(`${id}Errors`, fn.function.metricErrors({ period: PERIOD, statistic: 'Sum' }), 1, 'errors');
    this.alarm(
      `${id}Throttles`,
      fn.function.metricThrottles({ period: PERIOD, statistic: 'Sum' }),
      1,
      'throttles',
    );
  }

  /**
   * Alarms when the replica is older than `staleAfter` seconds, or when the sync function stops
   * reporting its age (missing data is breaching): either way verification will soon answer
   * `TRUST_LIST_STALE`. The comparison is the rule `replicaAgeAlarms` (functions/core/rules/lists.ts:
   * strictly above the threshold), on the gauge the sync handler computes with `trustListAge`.
   */
  watchReplicaAge(serviceName: string, staleAfterSeconds: number): void {
    const age = new Metric({
      namespace: METRIC_NAMESPACE,
      metricName: REPLICA_AGE_METRIC,
      dimensionsMap: { service: serviceName },
      statistic: 'Maximum',
      period: PERIOD,
    });
    new Alarm(this, 'ReplicaStale', {
      metric: age,
      threshold: staleAfterSeconds,
      evaluationPeriods: 1,
      comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
      treatMissingData: TreatMissingData.BREACHING,
      alarmDescription: `registry replica older than ${staleAfterSeconds} s, or sync not reporting`,
    }).addAlarmAction(new SnsAction(this.topic));
  }

  /**
   * Alarms when a publication of the trust list to S3 failed in a 5-minute period: the change is
   * committed, but readers of the CloudFront copy miss it until a later publication succeeds.
   */
  watchTrustListPublication(serviceName: string): void {
    const failed = new Metric({
      namespace: METRIC_NAMESPACE,
      metricName: TRUST_LIST_PUBLISH_FAILED_METRIC,
      dimensionsMap: { service: serviceName },
      statistic: 'Sum',
      period: PERIOD,
    });
    this.alarm('TrustListPublishFailed', failed, 1, 'trust list not published to S3');
  }

  private alarm(id: string, metric: IMetric, threshold: number, what: string): void {
    new Alarm(this, id, {
      metric,
      threshold,
      evaluationPeriods: 1,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: TreatMissingData.NOT_BREACHING,
      alarmDescription: `${id}: ${what}`,
    }).addAlarmAction(new SnsAction(this.topic));
  }
}

/**
 * Alarms on the signing keys, from CloudTrail events (the account needs a trail recording management
 * events, read-only ones included: the usual organization trail): any change of a key's policy,
 * grants, state or deletion schedule, and any `Sign` call on a key by a principal other than its
 * signer roles (refused by the key policy, so an attempt). Both notify the alarm topic.
 */
export function watchSigningKeys(
  monitoring: Monitoring,
  dataKey: IKey,
  keys: readonly IKey[],
  signerRoleArns: readonly string[],
): Rule[] {
  const keyArns = keys.map((k) => k.keyArn);
  const target = new SnsTopic(monitoring.topic);
  // EventBridge publishes to the encrypted topic.
  dataKey.grant(new iam.ServicePrincipal('events.amazonaws.com'), 'kms:Decrypt', 'kms:GenerateDataKey*');
  const changed = new Rule(monitoring, 'SigningKeyChanged', {
    description: 'hcx: a signing key policy, grant, state or deletion schedule changed',
    eventPattern: {
      source: ['aws.kms'],
      detailType: ['AWS API Call via CloudTrail'],
      detail: {
        eventName: [
          'PutKeyPolicy',
          'CreateGrant',
          'RetireGrant',
          'RevokeGrant',
          'DisableKey',
          'EnableKey',
          'ScheduleKeyDeletion',
          'CancelKeyDeletion',
        ],
        resources: { ARN: keyArns },
      },
    },
    targets: [target],
  });
  const foreignSign = new Rule(monitoring, 'SigningByAnotherPrincipal', {
    description: 'hcx: kms:Sign on a signing key by a principal other than its signer roles',
    eventPattern: {
      source: ['aws.kms'],
      detailType: ['AWS API Call via CloudTrail'],
      detail: {
        eventName: ['Sign'],
        resources: { ARN: keyArns },
        userIdentity: {
          sessionContext: { sessionIssuer: { arn: [{ 'anything-but': [...signerRoleArns] }] } },
        },
      },
    },
    targets: [target],
  });
  // Sign is a read-only management event: EventBridge delivers those only to rules that ask.
  (foreignSign.node.defaultChild as CfnRule).addPropertyOverride(
    'State',
    'ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS',
  );
  return [changed, foreignSign];
}
