export const MAX_DISTINCT_ID_LENGTH = 200;

// Characters that show nothing: whitespace, format characters (zero-width space, joiners, BOM),
// the combining grapheme joiner, Hangul fillers and the blank Braille pattern.
const INVISIBLE = '\\p{White_Space}\\p{Cf}\\u034F\\u115F\\u1160\\u3164\\uFFA0\\u2800';
const BLANK = new RegExp(`^[${INVISIBLE}]*$`, 'u');
const INVISIBLE_RUN = new RegExp(`[${INVISIBLE}]+`, 'gu');

// Zero written any way a number can be: 0, -0, 00, 0.0, .0, 0e5.
const ZERO = /^[+-]?(0+\.?0*|\.0+)(e[+-]?\d+)?$/;

// Wrappers that careless code puts around a missing value: quotes, backticks, brackets.
const WRAPPED = /^(["'`(<[{])(.*)(["'`)>\]}])$/;

// Values SDKs send when the real id is missing: merging on them would join strangers. Compared
// with invisible characters (spaces included) removed, as the ids themselves are.
const PLACEHOLDER_IDS = new Set(
  [
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
    '[object undefined]',
    'nil',
    '{}',
    '[]',
  ].map((id) => id.replace(/\s+/g, '')),
);

/**
 * True for ids that stand for "no id": the list above however it is dressed up (any case,
 * full-width letters, invisible characters around it, quotes or brackets), any spelling of the
 * number zero, and ids that show nothing at all.
 */
export function isPlaceholderId(distinctId: string): boolean {
  let bare = distinctId.normalize('NFKC').replace(INVISIBLE_RUN, '').toLowerCase();
  for (;;) {
    if (bare.length === 0 || PLACEHOLDER_IDS.has(bare) || ZERO.test(bare)) {
      return true;
    }
    const wrapped = WRAPPED.exec(bare);
    if (!wrapped) {
      return false;
    }
    bare = wrapped[2].replace(INVISIBLE_RUN, '');
  }
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
