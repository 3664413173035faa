const REPLACEMENT = '\uFFFD';

// A NUL, a high surrogate not followed by a low one, or a low surrogate not preceded by a high one.
// eslint-disable-next-line no-control-regex -- matching U+0000 is the point of this pattern
const UNSTORABLE = /\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/**
 * Postgres jsonb cannot hold U+0000 or unpaired surrogates. They become U+FFFD, in keys and in
 * string values alike; nothing else is altered. Call only on values whose depth was checked.
 */
export function sanitizeJson(value: unknown): unknown {
  if (typeof value === 'string') {
    return sanitizeString(value);
  }
  if (Array.isArray(value)) {
    return value.map(sanitizeJson);
  }
  if (typeof value === 'object' && value !== null) {
    const result: Record<string, unknown> = {};
    for (const [key, child] of Object.entries(value)) {
      result[sanitizeString(key)] = sanitizeJson(child);
    }
    return result;
  }
  return value;
}

export function sanitizeString(value: string): string {
  return value.replace(UNSTORABLE, REPLACEMENT);
}
