import { parseConversionWindow } from '../../src/experiments/conversion-window';
import { CapturedEvent, exposureFromEvent } from '../../src/experiments/exposure-from-event';

function flagCalled(
  properties: Record<string, unknown>,
  eventName = '$feature_flag_called',
): CapturedEvent {
  return {
    id: '0190b2a4-0000-7000-8000-000000000001',
    distinctId: 'anon-1',
    personId: '0190b2a4-0000-7000-8000-0000000000aa',
    eventName,
    properties,
    timestamp: new Date('2026-03-01T10:00:00Z'),
  };
}

describe(exposureFromEvent.name, () => {
  it('turns a flag call with a variant into an exposure of that person at the event time', () => {
    expect(
      exposureFromEvent(flagCalled({ $feature_flag: 'checkout', $feature_flag_response: 'test' })),
    ).toEqual({
      eventId: '0190b2a4-0000-7000-8000-000000000001',
      flagKey: 'checkout',
      variant: 'test',
      userId: 'anon-1',
      personId: '0190b2a4-0000-7000-8000-0000000000aa',
      timestamp: new Date('2026-03-01T10:00:00Z'),
    });
  });

  it.each([
    ['no response', { $feature_flag: 'checkout' }],
    ['a null response', { $feature_flag: 'checkout', $feature_flag_response: null }],
    ['flag off (false)', { $feature_flag: 'checkout', $feature_flag_response: false }],
    ['a boolean flag (true)', { $feature_flag: 'checkout', $feature_flag_response: true }],
    ['an empty variant', { $feature_flag: 'checkout', $feature_flag_response: '' }],
    [
      'a variant over 200 characters',
      { $feature_flag: 'checkout', $feature_flag_response: 'v'.repeat(201) },
    ],
    ['no flag key', { $feature_flag_response: 'test' }],
    ['a numeric flag key', { $feature_flag: 7, $feature_flag_response: 'test' }],
  ])('is no exposure with %s', (_case, properties) => {
    expect(exposureFromEvent(flagCalled(properties))).toBeNull();
  });

  it('ignores the same properties on any other event', () => {
    const properties = { $feature_flag: 'checkout', $feature_flag_response: 'test' };

    expect(exposureFromEvent(flagCalled(properties, 'checkout_completed'))).toBeNull();
  });
});

describe(parseConversionWindow.name, () => {
  it.each([
    [86400, 86400],
    ['3600', 3600],
    ['45s', 45],
    ['30m', 1800],
    ['12h', 43200],
    ['7d', 604800],
    ['366d', 366 * 86400],
  ])('reads %p as %p seconds', (input, seconds) => {
    expect(parseConversionWindow(input)).toBe(seconds);
  });

  it.each([0, '0', '-5', '1.5h', '7w', '367d', 'P7D', '', null, 1.5])('rejects %p', (input) => {
    expect(parseConversionWindow(input)).toBeUndefined();
  });
});
