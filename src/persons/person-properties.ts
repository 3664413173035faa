/**
 * Person properties that come out the same whatever order their updates arrive in: the result
 * is what replaying the updates in event-time order would give. Per key we keep
 *
 * - the latest `$set` or `$unset` by event time (an `$unset` stays as a tombstone, so an older
 *   `$set` arriving late cannot bring a removed value back), and
 * - the `$set_once` values later than it, earliest first: after an `$unset` the earliest of them
 *   fills the key, and a late `$unset` can uncover the next one.
 *
 * The value is the `$set`'s when the latest decision is a `$set`; otherwise the earliest pending
 * `$set_once`'s, if any.
 */
export type UpdateKind = 'set' | 'set_once' | 'unset';

export interface PendingOnce {
  at: string;
  value: unknown;
}

export interface PropertyStamp {
  // `set` or `unset`: the latest of those, at `at`. `set_once`: neither has happened yet.
  kind: UpdateKind;
  // ISO 8601 in UTC, as Date#toISOString writes it; for years 1..9999 these sort as strings.
  at: string;
  // `$set_once` values later than the decision above, earliest first.
  pending?: PendingOnce[];
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

// `$set_once` values kept per key beyond the first. Only a late `$unset` landing after all of
// them would need more; past this bound such an `$unset` leaves the key empty.
const MAX_PENDING_ONCE = 8;

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
    if (stamp.kind !== 'set_once') {
      const value = stamp.kind === 'set' ? source.properties[key] : undefined;
      applyKeyUpdate(target, key, { kind: stamp.kind, at: stamp.at, value }, false);
    }
    for (const once of pendingOf(stamp, source.properties[key])) {
      applyKeyUpdate(target, key, { kind: 'set_once', at: once.at, value: once.value }, false);
    }
  }
}

function applyKeyUpdate(
  state: PersonState,
  key: string,
  update: KeyUpdate,
  incomingWinsTies: boolean,
): boolean {
  const before = JSON.stringify([state.times[key] ?? null, state.properties[key] ?? null]);
  const current = state.times[key];
  const stamp: PropertyStamp = current
    ? { ...current, pending: pendingOf(current, state.properties[key]) }
    : { kind: 'set_once', at: update.at, pending: [] };
  const pending = stamp.pending!;
  const decided = state.times[key] !== undefined && stamp.kind !== 'set_once';

  if (update.kind === 'set_once') {
    // Before (or with) the latest $set/$unset it changes nothing in time order.
    if (decided && update.at <= stamp.at) {
      return false;
    }
    // After equal times: the one that arrived first stays first, as it would have filled the key.
    const position = pending.findIndex((once) => once.at > update.at);
    pending.splice(position === -1 ? pending.length : position, 0, {
      at: update.at,
      value: update.value,
    });
    stamp.pending = pending.slice(0, MAX_PENDING_ONCE);
  } else {
    const newer = !decided || update.at > stamp.at || (update.at === stamp.at && incomingWinsTies);
    if (!newer) {
      return false;
    }
    stamp.kind = update.kind;
    stamp.at = update.at;
    stamp.pending = pending.filter((once) => once.at > update.at);
  }

  settle(state, key, stamp, update.kind === 'set' ? update.value : state.properties[key]);
  return JSON.stringify([state.times[key] ?? null, state.properties[key] ?? null]) !== before;
}

/** The pending `$set_once` values; a stamp written before they were kept holds one implicitly. */
function pendingOf(stamp: PropertyStamp, value: unknown): PendingOnce[] {
  if (stamp.pending !== undefined) {
    return [...stamp.pending];
  }
  return stamp.kind === 'set_once' ? [{ at: stamp.at, value }] : [];
}

/** Stores the stamp and derives the key's value from it. */
function settle(state: PersonState, key: string, stamp: PropertyStamp, setValue: unknown): void {
  if (stamp.pending?.length === 0) {
    delete stamp.pending;
  }
  if (stamp.kind === 'set_once') {
    stamp.at = stamp.pending![0].at;
  }
  state.times[key] = stamp;

  if (stamp.kind === 'set') {
    state.properties[key] = setValue;
  } else if (stamp.pending !== undefined) {
    state.properties[key] = stamp.pending[0].value;
  } else {
    delete state.properties[key];
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
