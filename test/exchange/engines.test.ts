/** When the DynamoDB Local fidelity tests run, skip or fail (README: what `npm test` needs). */
import { dynamoDbLocalPlan, javaFound } from './engines';

describe('the DynamoDB Local tests', () => {
  it('run where java runs, skip without it on a developer machine, and fail without it on CI', () => {
    expect([
      dynamoDbLocalPlan(true, undefined),
      dynamoDbLocalPlan(true, 'true'),
      dynamoDbLocalPlan(false, undefined),
      dynamoDbLocalPlan(false, 'false'),
      dynamoDbLocalPlan(false, 'true'),
      dynamoDbLocalPlan(false, '1'),
    ]).toEqual(['run', 'run', 'skip', 'skip', 'fail', 'fail']);
  });

  it('find no java where the command does not exist', () => {
    expect(javaFound('/nonexistent/java')).toBe(false);
  });
});
