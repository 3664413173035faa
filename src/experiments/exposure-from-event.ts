// Which captured events are experiment exposures, and what an exposure row holds. Pure, so the
// rules are tested without a database.

export const FEATURE_FLAG_CALLED = '$feature_flag_called';
export const MAX_FLAG_KEY_LENGTH = 200;
export const MAX_VARIANT_LENGTH = 200;

export interface CapturedEvent {
  id: string;
  distinctId: string;
  personId: string;
  eventName: string;
  properties: Record<string, unknown>;
  timestamp: Date;
}

export interface ExposureRow {
  eventId: string;
  flagKey: string;
  variant: string;
  // The distinct id the exposure was captured under, as the product document names it.
  userId: string;
  personId: string;
  timestamp: Date;
}

// An exposure is a `$feature_flag_called` event naming a flag and the variant served. Only a
// non-empty string is a variant: `false` (flag off, user outside the rollout), `true` (a boolean
// flag, which has no arms), null or a missing response put nobody in an arm.
export function exposureFromEvent(event: CapturedEvent): ExposureRow | null {
  if (event.eventName !== FEATURE_FLAG_CALLED) {
    return null;
  }

  const flagKey = event.properties.$feature_flag;
  const variant = event.properties.$feature_flag_response;

  if (!isBoundedText(flagKey, MAX_FLAG_KEY_LENGTH) || !isBoundedText(variant, MAX_VARIANT_LENGTH)) {
    return null;
  }

  return {
    eventId: event.id,
    flagKey,
    variant,
    userId: event.distinctId,
    personId: event.personId,
    timestamp: event.timestamp,
  };
}

function isBoundedText(value: unknown, maxLength: number): value is string {
  return typeof value === 'string' && value.length > 0 && value.length <= maxLength;
}
