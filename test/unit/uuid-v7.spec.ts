import { isUuid, uuidV7 } from '../../src/common/uuid-v7';

describe('uuidV7', () => {
  it('is an RFC 9562 version 7 UUID carrying the Unix milliseconds it was made at', () => {
    const millis = Date.UTC(2026, 11, 4, 18, 30, 0, 123);
    const id = uuidV7(millis);

    expect(isUuid(id)).toBe(true);
    expect(id[14]).toBe('7');
    expect(['8', '9', 'a', 'b']).toContain(id[19]);
    expect(parseInt(id.replace(/-/g, '').slice(0, 12), 16)).toBe(millis);
  });

  it('sorts by creation time and never repeats', () => {
    const ids = [0, 1, 255, 256, 65_536, Date.now(), 2 ** 48 - 1].map((millis) => uuidV7(millis));
    expect([...ids].sort()).toEqual(ids);
    expect(ids[0].startsWith('00000000-0000-7')).toBe(true);

    const many = new Set(Array.from({ length: 10_000 }, () => uuidV7(1_700_000_000_000)));
    expect(many.size).toBe(10_000);
  });
});
