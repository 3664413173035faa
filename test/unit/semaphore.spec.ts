import { Semaphore } from '../../src/common/semaphore';

function deferred() {
  let resolve!: () => void;
  const promise = new Promise<void>((res) => (resolve = res));
  return { promise, resolve };
}

describe(Semaphore.name, () => {
  it('runs at most `limit` at once, and the rest in arrival order as places free up', async () => {
    const sut = new Semaphore(2);
    const gates = [0, 1, 2, 3].map(() => deferred());
    const started: number[] = [];
    const runs = gates.map((gate, i) =>
      sut.run(async () => {
        started.push(i);
        await gate.promise;
        return i;
      }),
    );
    await new Promise((resolve) => setImmediate(resolve));
    expect(started).toEqual([0, 1]);

    gates[1].resolve();
    await runs[1];
    await new Promise((resolve) => setImmediate(resolve));
    expect(started).toEqual([0, 1, 2]);

    gates[0].resolve();
    gates[2].resolve();
    gates[3].resolve();
    expect(await Promise.all(runs)).toEqual([0, 1, 2, 3]);
    expect(started).toEqual([0, 1, 2, 3]);
  });

  it('frees the place of work that failed', async () => {
    const sut = new Semaphore(1);
    await expect(sut.run(() => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    await expect(sut.run(() => Promise.resolve('next'))).resolves.toBe('next');
  });
});
