import { isUuid } from './uuid-v7';

/**
 * Ids carry a type prefix at the HTTP boundary only; the database stores bare UUIDs. The prefix
 * makes a pasted id self-describing and stops a person id from being used where a key id belongs.
 */
export type IdKind = 'per' | 'evt' | 'key' | 'org' | 'exp' | 'usr';

export function toPublicId(kind: IdKind, uuid: string): string {
  return `${kind}_${uuid}`;
}

/** Returns the bare UUID, or undefined when the value is not an id of this kind. */
export function parsePublicId(kind: IdKind, value: string): string | undefined {
  const prefix = `${kind}_`;
  if (!value.startsWith(prefix)) {
    return undefined;
  }
  const uuid = value.slice(prefix.length);
  return isUuid(uuid) ? uuid.toLowerCase() : undefined;
}
