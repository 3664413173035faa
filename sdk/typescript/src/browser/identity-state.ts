import { uuidv7 } from '../core/uuid-v7';
import { Properties } from '../core/types';
import { PersistenceStores } from './persistence/persistence-factory';

export type UserState = 'anonymous' | 'identified';

interface IdentityRecord {
  distinct_id: string;
  user_state: UserState;
}

interface PropertiesRecord {
  super_properties: Properties;
  opted_out: boolean;
  /** Flag exposures already reported, as `key\u0000variant`, for `distinct_id` only. */
  reported_flags: { distinct_id: string; seen: string[] };
}

/**
 * Who this browser is, and what it remembers between pages: the distinct id and whether it
 * belongs to an identified user, super properties, the opt-out choice and reported flag
 * exposures. Everything is read from the stores on each use so that tabs sharing them agree.
 */
export class IdentityState {
  private readonly identityKey: string;
  private readonly propertiesKey: string;

  constructor(
    private readonly stores: PersistenceStores,
    apiKey: string,
    private readonly newId: () => string = () => uuidv7(),
  ) {
    const suffix = storageSuffix(apiKey);
    this.identityKey = `loom_${suffix}_id`;
    this.propertiesKey = `loom_${suffix}_props`;
  }

  get distinctId(): string {
    return this.identity().distinct_id;
  }

  get userState(): UserState {
    return this.identity().user_state;
  }

  /** Switches to the user's id; returns the id it replaces. */
  becomeIdentified(userId: string): string {
    const previous = this.identity().distinct_id;
    this.writeIdentity({ distinct_id: userId, user_state: 'identified' });
    return previous;
  }

  /** A new anonymous visitor: fresh id, no super properties, no reported flags. */
  reset(): void {
    const optedOut = this.properties().opted_out;
    this.writeIdentity({ distinct_id: this.newId(), user_state: 'anonymous' });
    this.writeProperties({ ...emptyProperties(''), opted_out: optedOut });
  }

  get superProperties(): Properties {
    return this.properties().super_properties;
  }

  register(values: Properties): void {
    const record = this.properties();
    record.super_properties = { ...record.super_properties, ...values };
    this.writeProperties(record);
  }

  registerOnce(values: Properties): void {
    const record = this.properties();
    const missing = Object.entries(values).filter(([key]) => !(key in record.super_properties));
    record.super_properties = { ...record.super_properties, ...Object.fromEntries(missing) };
    this.writeProperties(record);
  }

  unregister(key: string): void {
    const record = this.properties();
    delete record.super_properties[key];
    this.writeProperties(record);
  }

  get optedOut(): boolean {
    return this.properties().opted_out;
  }

  setOptedOut(optedOut: boolean): void {
    const record = this.properties();
    record.opted_out = optedOut;
    this.writeProperties(record);
  }

  /** Records an exposure; true the first time this key and variant are seen for the current id. */
  markFlagReported(flagKey: string, variant: string): boolean {
    const distinctId = this.distinctId;
    const record = this.properties();
    if (record.reported_flags.distinct_id !== distinctId) {
      record.reported_flags = { distinct_id: distinctId, seen: [] };
    }

    const entry = `${flagKey}\u0000${variant}`;
    if (record.reported_flags.seen.includes(entry)) {
      return false;
    }
    record.reported_flags.seen.push(entry);
    this.writeProperties(record);
    return true;
  }

  private identity(): IdentityRecord {
    const stored = parse<Partial<IdentityRecord>>(this.stores.identity.get(this.identityKey));
    if (stored && typeof stored.distinct_id === 'string' && stored.distinct_id.length > 0) {
      return {
        distinct_id: stored.distinct_id,
        user_state: stored.user_state === 'identified' ? 'identified' : 'anonymous',
      };
    }

    const created: IdentityRecord = { distinct_id: this.newId(), user_state: 'anonymous' };
    this.writeIdentity(created);
    return created;
  }

  private properties(): PropertiesRecord {
    const stored = parse<Partial<PropertiesRecord>>(this.stores.properties.get(this.propertiesKey));
    const empty = emptyProperties('');
    if (!stored) {
      return empty;
    }

    const flags = stored.reported_flags;
    return {
      super_properties: isObject(stored.super_properties) ? stored.super_properties : {},
      opted_out: stored.opted_out === true,
      reported_flags:
        flags && typeof flags.distinct_id === 'string' && Array.isArray(flags.seen)
          ? flags
          : empty.reported_flags,
    };
  }

  private writeIdentity(record: IdentityRecord): void {
    this.stores.identity.set(this.identityKey, JSON.stringify(record));
  }

  private writeProperties(record: PropertiesRecord): void {
    this.stores.properties.set(this.propertiesKey, JSON.stringify(record));
  }
}

function emptyProperties(distinctId: string): PropertiesRecord {
  return {
    super_properties: {},
    opted_out: false,
    reported_flags: { distinct_id: distinctId, seen: [] },
  };
}

/** A short, stable name part per API key (FNV-1a), so two projects on one site do not mix. */
export function storageSuffix(apiKey: string): string {
  let hash = 0x811c9dc5;
  for (let i = 0; i < apiKey.length; i += 1) {
    hash ^= apiKey.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return (hash >>> 0).toString(16).padStart(8, '0');
}

function parse<T>(raw: string | null): T | undefined {
  if (raw === null) {
    return undefined;
  }
  try {
    const value: unknown = JSON.parse(raw);
    return isObject(value) ? (value as T) : undefined;
  } catch {
    return undefined;
  }
}

function isObject(value: unknown): value is Properties {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
