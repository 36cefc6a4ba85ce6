import { FairTurns } from '../../functions/exchange/fair-turns';

describe('fair turns at the log tail', () => {
  it('serves waiting lanes round robin: a flooding lane takes one turn per round', async () => {
    const turns = new FairTurns();
    const order: string[] = [];
    const first = await turns.acquire('flood');
    const waiting = [
      ...['flood', 'flood', 'flood', 'flood'].map((lane, i) => ({ lane, name: `flood${i + 1}` })),
      { lane: 'honest', name: 'honest1' },
      { lane: 'other', name: 'other1' },
      { lane: 'honest', name: 'honest2' },
    ].map(({ lane, name }) =>
      turns.acquire(lane).then((end) => {
        order.push(name);
        end();
      }),
    );
    expect(turns.waiting).toBe(7);
    first();
    await Promise.all(waiting);
    expect(order).toEqual(['flood1', 'honest1', 'other1', 'flood2', 'honest2', 'flood3', 'flood4']);
    expect(turns.waiting).toBe(0);
  });

  it('gives one turn at a time, and a released turn cannot release twice', async () => {
    const turns = new FairTurns();
    let inside = 0;
    let most = 0;
    await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        turns.acquire(`lane${i % 3}`).then(async (end) => {
          inside++;
          most = Math.max(most, inside);
          await new Promise((r) => setImmediate(r));
          inside--;
          end();
          end();
        }),
      ),
    );
    expect(most).toBe(1);
    const end = await turns.acquire('x');
    end();
    expect(turns.waiting).toBe(0);
  });
});
