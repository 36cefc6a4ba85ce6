import { Bucket } from 'aws-cdk-lib/aws-s3';
import { buildApp, defaultConfig } from './fixture';

describe('cdk-nag AwsSolutions', () => {
  it('finds nothing unacknowledged in the exchange and the province stacks', () => {
    // prepare
    const { app } = buildApp({ nag: true });

    // act + assert: the plugin throws its report on any unacknowledged finding
    expect(() => app.synth()).not.toThrow();
  });

  it('finds nothing either in a province that keeps verify instances warm', () => {
    // prepare
    const config = defaultConfig();
    const { app } = buildApp({
      nag: true,
      province: '440000',
      config: {
        ...config,
        provinces: config.provinces.map((p) => ({ ...p, verifyProvisionedConcurrency: 1 })),
      },
    });

    // act + assert
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
