export const MAX_DISTINCT_ID_LENGTH = 200;

// Whitespace and invisible format characters (zero-width space, joiners, BOM) only.
const BLANK = /^[\p{White_Space}\p{Cf}]*$/u;

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
export function distinctIdProblem(value: unknown, field = 'distinct_id'): string | undefined {
  if (typeof value !== 'string') {
    return `${field} must be a string`;
  }
  const length = [...value].length;
  if (length === 0 || BLANK.test(value)) {
    return `${field} must not be empty or blank`;
  }
  if (length > MAX_DISTINCT_ID_LENGTH) {
    return `${field} is ${length} characters; the limit is ${MAX_DISTINCT_ID_LENGTH}`;
  }
  if (/\p{Cc}/u.test(value)) {
    return `${field} must not contain control characters`;
  }
  if (/[\uD800-\uDFFF]/.test(value.replace(/[\uD800-\uDBFF][\uDC00-\uDFFF]/g, ''))) {
    return `${field} must not contain unpaired surrogates`;
  }
  return undefined;
}
