export const EVENT_NAME_PATTERN = /^[a-z$][a-z0-9_.$]*$/;
export const MAX_EVENT_NAME_LENGTH = 200;
export const MAX_DISTINCT_ID_LENGTH = 200;
export const MAX_PROPERTIES_BYTES = 1024 * 1024;
export const MAX_PROPERTIES_DEPTH = 64;
export const MAX_BATCH_EVENTS = 1000;

// Values SDKs send when the real id is missing: merging on them would join strangers.
const PLACEHOLDER_IDS = new Set([
  'anonymous',
  'guest',
  'distinct_id',
  'distinctid',
  'id',
  'not_authenticated',
  'email',
  'undefined',
  'null',
  'none',
  'nan',
  'true',
  'false',
  '0',
  '[object object]',
]);

export function isPlaceholderId(distinctId: string): boolean {
  const unquoted = distinctId
    .trim()
    .replace(/^(["'])(.*)\1$/, '$2')
    .trim();
  return unquoted.length === 0 || PLACEHOLDER_IDS.has(unquoted.toLowerCase());
}

/** Why a distinct id is unusable, or undefined when it is fine. Ids are never trimmed or folded. */
export function distinctIdProblem(value: unknown): string | undefined {
  if (typeof value !== 'string') {
    return 'distinct_id must be a string';
  }
  const length = [...value].length;
  if (length === 0 || value.trim().length === 0) {
    return 'distinct_id must not be empty or blank';
  }
  if (length > MAX_DISTINCT_ID_LENGTH) {
    return `distinct_id is ${length} characters; the limit is ${MAX_DISTINCT_ID_LENGTH}`;
  }
  if (/\p{Cc}/u.test(value)) {
    return 'distinct_id must not contain control characters';
  }
  if (/[\uD800-\uDFFF]/.test(value.replace(/[\uD800-\uDBFF][\uDC00-\uDFFF]/g, ''))) {
    return 'distinct_id must not contain unpaired surrogates';
  }
  return undefined;
}

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
