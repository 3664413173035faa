export interface GroupCommitOptions<Item> {
  // Transactions allowed at once; while they run, new submissions queue and form the next group.
  maxConcurrentCommits: number;
  // Upper bound on one group's size, as measured by `weigh`.
  maxGroupWeight: number;
  weigh: (item: Item) => number;
}

interface Waiting<Item, Result> {
  item: Item;
  resolve: (result: Result) => void;
  reject: (error: unknown) => void;
}

/**
 * Group commit: concurrent submissions share one database transaction. Nothing waits on a
 * timer; a group is whatever queued while the previous commits were running, so an idle server
 * commits each request at once and a busy one commits many per transaction. Every submitter's
 * promise settles only after the transaction holding its item has committed (or failed).
 *
 * If a shared commit fails for a reason other than a conflict it already retried, each item is
 * committed alone, so one bad request never fails the others that happened to share its group.
 */
export class GroupCommit<Item, Result> {
  private readonly queue: Array<Waiting<Item, Result>> = [];
  private running = 0;
  private scheduled = false;

  constructor(
    private readonly commit: (items: Item[]) => Promise<Result[]>,
    private readonly options: GroupCommitOptions<Item>,
  ) {}

  submit(item: Item): Promise<Result> {
    return new Promise<Result>((resolve, reject) => {
      this.queue.push({ item, resolve, reject });
      this.schedule();
    });
  }

  /** Submissions not yet committed, for shutdown and metrics. */
  get pending(): number {
    return this.queue.length + this.running;
  }

  private schedule(): void {
    if (this.scheduled) {
      return;
    }
    this.scheduled = true;
    // Let every request parsed in this turn of the event loop join the same group.
    setImmediate(() => {
      this.scheduled = false;
      this.drain();
    });
  }

  private drain(): void {
    while (this.running < this.options.maxConcurrentCommits && this.queue.length > 0) {
      const group = this.takeGroup();
      this.running++;
      void this.commitGroup(group).finally(() => {
        this.running--;
        this.drain();
      });
    }
  }

  private takeGroup(): Array<Waiting<Item, Result>> {
    const group: Array<Waiting<Item, Result>> = [];
    let weight = 0;
    while (this.queue.length > 0) {
      const next = this.queue[0];
      const nextWeight = this.options.weigh(next.item);
      if (group.length > 0 && weight + nextWeight > this.options.maxGroupWeight) {
        break;
      }
      group.push(this.queue.shift()!);
      weight += nextWeight;
    }
    return group;
  }

  private async commitGroup(group: Array<Waiting<Item, Result>>): Promise<void> {
    try {
      const results = await this.commit(group.map((waiting) => waiting.item));
      group.forEach((waiting, i) => waiting.resolve(results[i]));
    } catch (error) {
      if (group.length === 1) {
        group[0].reject(error);
        return;
      }
      await Promise.all(
        group.map(async (waiting) => {
          try {
            const [result] = await this.commit([waiting.item]);
            waiting.resolve(result);
          } catch (itemError) {
            waiting.reject(itemError);
          }
        }),
      );
    }
  }
}
