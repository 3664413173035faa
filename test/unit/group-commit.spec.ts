import { GroupCommit } from '../../src/capture/group-commit';

function deferred<T>() {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

describe(GroupCommit.name, () => {
  it('commits submissions made together in one call, and answers each after that commit', async () => {
    const commits: number[][] = [];
    const gate = deferred<void>();
    const sut = new GroupCommit<number, string>(
      async (items) => {
        commits.push(items);
        await gate.promise;
        return items.map((item) => `stored ${item}`);
      },
      { maxConcurrentCommits: 1, maxGroupWeight: 100, weigh: () => 1 },
    );

    const answers = [1, 2, 3].map((item) => sut.submit(item));
    let settled = false;
    void Promise.all(answers).then(() => (settled = true));
    await new Promise((resolve) => setImmediate(resolve));
    await new Promise((resolve) => setImmediate(resolve));
    expect(commits).toEqual([[1, 2, 3]]);
    expect(settled).toBe(false);

    gate.resolve();
    expect(await Promise.all(answers)).toEqual(['stored 1', 'stored 2', 'stored 3']);
  });

  it('groups what queued while the previous commit ran, up to the weight limit', async () => {
    const commits: number[][] = [];
    const gates = [deferred<void>(), deferred<void>(), deferred<void>()];
    const sut = new GroupCommit<number, number>(
      async (items) => {
        const gate = gates[commits.length];
        commits.push(items);
        await gate.promise;
        return items;
      },
      { maxConcurrentCommits: 1, maxGroupWeight: 5, weigh: (item) => item },
    );

    const first = sut.submit(1);
    await new Promise((resolve) => setImmediate(resolve));
    const later = [2, 3, 4].map((item) => sut.submit(item));
    gates.forEach((gate) => gate.resolve());
    await Promise.all([first, ...later]);

    expect(commits).toEqual([[1], [2, 3], [4]]);
  });

  it('commits each item alone when a shared commit fails, so one bad item fails only itself', async () => {
    const sut = new GroupCommit<string, string>(
      async (items) => {
        if (items.includes('bad')) {
          throw new Error('bad item');
        }
        return items.map((item) => item.toUpperCase());
      },
      { maxConcurrentCommits: 1, maxGroupWeight: 100, weigh: () => 1 },
    );

    const results = await Promise.allSettled(['a', 'bad', 'c'].map((item) => sut.submit(item)));

    expect(results.map((result) => result.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect((results[0] as PromiseFulfilledResult<string>).value).toBe('A');
    expect((results[1] as PromiseRejectedResult).reason).toEqual(new Error('bad item'));
  });
});
