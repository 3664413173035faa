import { uuidv7 } from '@/core/uuid-v7';

describe('uuidv7', () => {
  it('is a version 7, RFC variant uuid', () => {
    const id = uuidv7();

    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });

  it('starts with the creation time in milliseconds', () => {
    // Later than any id made so far: the generator never goes back in time within a process.
    const now = Date.now() + 3_600_000;

    const id = uuidv7(now);
    const millis = parseInt(id.replace(/-/g, '').slice(0, 12), 16);

    expect(millis).toBe(now);
  });

  it('keeps ids made in one millisecond in creation order and unique', () => {
    const now = Date.now() + 7_200_000;

    const ids = Array.from({ length: 5000 }, () => uuidv7(now));

    expect([...ids].sort()).toEqual(ids);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('stays ordered when the clock goes back', () => {
    const first = uuidv7(Date.now() + 10_800_000);

    const second = uuidv7(Date.now());

    expect(second > first).toBe(true);
  });
});
