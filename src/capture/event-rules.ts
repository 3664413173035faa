export {
  distinctIdProblem,
  isPlaceholderId,
  MAX_DISTINCT_ID_LENGTH,
} from '../common/distinct-id-rules';

export const EVENT_NAME_PATTERN = /^[a-z$][a-z0-9_.$]*$/;
export const MAX_EVENT_NAME_LENGTH = 200;
export const MAX_PROPERTIES_BYTES = 1024 * 1024;
export const MAX_PROPERTIES_DEPTH = 64;
export const MAX_BATCH_EVENTS = 1000;

export function eventNameProblem(value: unknown): string | undefined {
  if (typeof value !== 'string' || value.length === 0) {
    return 'event must be a non-empty string';
  }
  if (value.length > MAX_EVENT_NAME_LENGTH) {
    return `event name is ${value.length} characters; the limit is ${MAX_EVENT_NAME_LENGTH}`;
  }
  if (!EVENT_NAME_PATTERN.test(value)) {
    return 'event name must match ^[a-z$][a-z0-9_.$]*$ (lowercase letters, digits, _ . $)';
  }
  return undefined;
}
