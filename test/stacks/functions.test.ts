import { Template } from 'aws-cdk-lib/assertions';
import { buildApp, refOf } from './fixture';

describe('every hcx function', () => {
  it('runs Node.js 24 on arm64 and logs to its own log group with retention', () => {
    // prepare
    const { stacks } = buildApp();
    const templates = [stacks.exchange!, ...stacks.provinces].map((s) => Template.fromStack(s));

    for (const template of templates) {
      // act
      const functions = Object.values(template.findResources('AWS::Lambda::Function'));
      const logGroups = template.findResources('AWS::Logs::LogGroup');

      // assert
      expect(functions.length).toBeGreaterThan(0);
      for (const fn of functions) {
        expect(fn.Properties.Runtime).toBe('nodejs24.x');
        expect(fn.Properties.Architectures).toEqual(['arm64']);
        const group = logGroups[refOf(fn.Properties.LoggingConfig?.LogGroup)!];
        expect(group?.Properties.RetentionInDays).toBe(90);
      }
    }
  });
});
