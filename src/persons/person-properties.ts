/**
 * Person properties that come out the same whatever order their updates arrive in. Each key
 * remembers the event time of the update that decided it and what kind of update that was:
 * `set`, `set_once`, or `unset` (kept as a tombstone so an older `$set` arriving late cannot
 * bring a removed value back).
 */
export type UpdateKind = 'set' | 'set_once' | 'unset';

export interface PropertyStamp {
  kind: UpdateKind;
  // ISO 8601 in UTC, as Date#toISOString writes it; for years 1..9999 these sort as strings.
  at: string;
}

export type PropertyTimes = Record<string, PropertyStamp>;

export interface PersonState {
  properties: Record<string, unknown>;
  times: PropertyTimes;
}

export interface PersonUpdate {
  set?: Record<string, unknown>;
  setOnce?: Record<string, unknown>;
  unset?: string[];
  at: Date;
}

interface KeyUpdate {
  kind: UpdateKind;
  at: string;
  value?: unknown;
}

/** Applies `$set`, then `$set_once`, then `$unset`, as the contract orders them. Returns true if anything changed. */
export function applyPersonUpdate(state: PersonState, update: PersonUpdate): boolean {
  const at = update.at.toISOString();
  let changed = false;

  for (const [key, value] of Object.entries(update.set ?? {})) {
    changed = applyKeyUpdate(state, key, { kind: 'set', at, value }, true) || changed;
  }
  for (const [key, value] of Object.entries(update.setOnce ?? {})) {
    changed = applyKeyUpdate(state, key, { kind: 'set_once', at, value }, true) || changed;
  }
  for (const key of update.unset ?? []) {
    changed = applyKeyUpdate(state, key, { kind: 'unset', at }, true) || changed;
  }
  return changed;
}

/**
 * Folds the source person's keys into the target's by the same rule, as if the source's updates
 * had been sent to the target. On equal times the target keeps its value.
 */
export function mergePersonStates(target: PersonState, source: PersonState): void {
  for (const [key, stamp] of Object.entries(source.times)) {
    const value = stamp.kind === 'unset' ? undefined : source.properties[key];
    applyKeyUpdate(target, key, { kind: stamp.kind, at: stamp.at, value }, false);
  }
}

function applyKeyUpdate(
  state: PersonState,
  key: string,
  update: KeyUpdate,
  incomingWinsTies: boolean,
): boolean {
  const current = state.times[key];
  if (!shouldApply(current, update, incomingWinsTies)) {
    return false;
  }

  state.times[key] = { kind: update.kind, at: update.at };
  if (update.kind === 'unset') {
    delete state.properties[key];
  } else {
    state.properties[key] = update.value;
  }
  return true;
}

function shouldApply(
  current: PropertyStamp | undefined,
  update: KeyUpdate,
  incomingWinsTies: boolean,
): boolean {
  if (current === undefined) {
    return true;
  }
  const newer = update.at > current.at || (update.at === current.at && incomingWinsTies);

  switch (update.kind) {
    // A $set beats any $set_once whatever the times: in arrival order it would have either
    // come first (and the $set_once found the key taken) or come last (and overwritten it).
    case 'set':
      return current.kind === 'set_once' || newer;
    case 'unset':
      return newer;
    // A $set_once only fills a gap: an absent key, a key removed before it, or a value that
    // a later $set_once put there.
    case 'set_once':
      switch (current.kind) {
        case 'set':
          return false;
        case 'set_once':
          return update.at < current.at;
        case 'unset':
          return newer;
      }
  }
}

/** Pulls `$set`, `$set_once` and `$unset` out of an event's properties. */
export function personUpdateFromEvent(
  properties: Record<string, unknown>,
  at: Date,
): PersonUpdate | undefined {
  const set = asObject(properties.$set);
  const setOnce = asObject(properties.$set_once);
  const unset = asKeyList(properties.$unset);
  if (!set && !setOnce && !unset) {
    return undefined;
  }
  return { set, setOnce, unset, at };
}

function asObject(value: unknown): Record<string, unknown> | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return undefined;
  }
  return Object.keys(value).length > 0 ? (value as Record<string, unknown>) : undefined;
}

function asKeyList(value: unknown): string[] | undefined {
  if (Array.isArray(value)) {
    const keys = value.filter((key): key is string => typeof key === 'string');
    return keys.length > 0 ? keys : undefined;
  }
  const object = asObject(value);
  return object ? Object.keys(object) : undefined;
}
