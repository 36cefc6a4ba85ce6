import { Bucket } from 'aws-cdk-lib/aws-s3';
import { buildApp } from './fixture';

describe('cdk-nag AwsSolutions', () => {
  it('finds nothing unacknowledged in the exchange and the province stacks', () => {
    // prepare
    const { app } = buildApp({ nag: true });

    // act + assert: the plugin throws its report on any unacknowledged finding
    expect(() => app.synth()).not.toThrow();
  });

  it('fails the synth on a finding nobody acknowledged', () => {
    // prepare: a bucket without access logs or TLS enforcement
    const { app, stacks } = buildApp({ nag: true, province: '350000' });
    new Bucket(stacks.provinces[0], 'Careless');

    // act + assert
    expect(() => app.synth()).toThrow(/AwsSolutions-S1/);
  });
});
