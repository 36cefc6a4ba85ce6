/**
 * Fair turns at the log's tail: one append at a time per process, and the waiting ones served round
 * robin by lane (the province whose request it is), so a province that floods the exchange with
 * appends takes one turn in every round, and an honest province's append waits at most one turn per
 * other busy province, never for the whole flood. Without it, every concurrent writer reads the same
 * head, all but one lose the conditional write, and under a flood the losers keep losing (a
 * livelock that ended in 503s for provinces that were not even busy).
 *
 * Per process: in AWS, each Lambda instance serializes its own appends; writers of different
 * instances still race on the conditional write, bounded by the retry budget of `appendWith`.
 */
export class FairTurns {
  private busy = false;
  /** Waiting turns by lane; Map order is the round-robin order (a served lane moves to the back). */
  private readonly lanes = new Map<string, (() => void)[]>();

  /** Wait for a turn in `lane`; call the returned function exactly once to end it. */
  acquire(lane: string): Promise<() => void> {
    if (!this.busy) {
      this.busy = true;
      return Promise.resolve(this.releaser());
    }
    return new Promise((resolve) => {
      const queue = this.lanes.get(lane) ?? [];
      queue.push(() => resolve(this.releaser()));
      this.lanes.set(lane, queue);
    });
  }

  /** Turns waiting, all lanes together. */
  get waiting(): number {
    let n = 0;
    for (const q of this.lanes.values()) n += q.length;
    return n;
  }

  private releaser(): () => void {
    let done = false;
    return () => {
      if (done) return;
      done = true;
      this.next();
    };
  }

  private next(): void {
    const first = this.lanes.entries().next();
    if (first.done) {
      this.busy = false;
      return;
    }
    const [lane, queue] = first.value;
    const start = queue.shift() as () => void;
    this.lanes.delete(lane);
    if (queue.length > 0) this.lanes.set(lane, queue);
    start();
  }
}

const turnsByOwner = new WeakMap<object, FairTurns>();

/** The turns of one log (one per repository object, so per process and table). */
export function turnsFor(owner: object): FairTurns {
  let turns = turnsByOwner.get(owner);
  if (!turns) {
    turns = new FairTurns();
    turnsByOwner.set(owner, turns);
  }
  return turns;
}
