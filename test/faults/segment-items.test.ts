/** The node's BatchGetItem of segment items under faults the embedded engine cannot produce. */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { BatchGetCommand, DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { HcxError } from '../../functions/core/errors';
import { DynamoProvinceRepository } from '../../functions/province/dynamo-repository';

const TABLE = 'province';
const key = (d: string) => ({ pk: `SEGMENT#${d}`, sk: 'SEGMENT' });
const item = (d: string) => ({ ...key(d), kind: 'segment', bits: `bits-${d}`, ttl: 10 });

describe('segment items read by BatchGetItem', () => {
  const doc = mockClient(DynamoDBDocumentClient);
  afterEach(() => doc.reset());
  afterAll(() => doc.restore());
  const repository = () => new DynamoProvinceRepository(new DynamoDBClient({ region: 'local' }), TABLE);

  it('asks again for the keys left unprocessed (throttling) and returns every item', async () => {
    doc
      .on(BatchGetCommand)
      .resolvesOnce({
        Responses: { [TABLE]: [item('a')] },
        UnprocessedKeys: { [TABLE]: { Keys: [key('b')] } },
      })
      .resolvesOnce({ Responses: { [TABLE]: [item('b')] } });

    const found = await repository().getSegmentItems(['a', 'b', 'a']);

    expect([...found.keys()].sort()).toEqual(['a', 'b']);
    expect(found.get('b')).toEqual({ kind: 'whole', bits: 'bits-b', ttl: 10 });
    const calls = doc.commandCalls(BatchGetCommand);
    expect(calls).toHaveLength(2);
    expect(calls[0].args[0].input.RequestItems?.[TABLE].Keys).toEqual([key('a'), key('b')]);
    expect(calls[1].args[0].input.RequestItems?.[TABLE].Keys).toEqual([key('b')]);
  });

  it('fails (INTERNAL) after bounded attempts when keys stay unprocessed, never returning them as absent', async () => {
    doc.on(BatchGetCommand).resolves({ UnprocessedKeys: { [TABLE]: { Keys: [key('a')] } } });

    const read = repository().getSegmentItems(['a']);

    await expect(read).rejects.toBeInstanceOf(HcxError);
    await expect(read).rejects.toMatchObject({ code: 'INTERNAL' });
    expect(doc.commandCalls(BatchGetCommand)).toHaveLength(8);
  });
});
