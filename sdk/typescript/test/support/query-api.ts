export interface StoredEvent {
  id: string;
  event: string;
  distinct_id: string;
  person_id: string;
  properties: Record<string, unknown>;
  timestamp: string;
}

export interface PersonWithIdentities {
  person: { id: string; properties: Record<string, unknown> };
  identities: Array<{ distinct_id: string; identity_type: string }>;
}

/** Reads back what the service stored, with a read/write key, as a server-side user would. */
export class QueryApi {
  constructor(
    private readonly baseUrl: string,
    private readonly readKey: string,
  ) {}

  /** Every stored event matching the filters, following the cursor. */
  async events(filters: { distinct_id?: string; event_name?: string; person_id?: string }) {
    const results: StoredEvent[] = [];
    let cursor: string | null = null;
    do {
      const params = new URLSearchParams({ ...definedOnly(filters), limit: '1000' });
      if (cursor) {
        params.set('cursor', cursor);
      }
      const body = await this.get<{ results: StoredEvent[]; next_cursor: string | null }>(
        `/api/analytics/events?${params.toString()}`,
      );
      results.push(...body.results);
      cursor = body.next_cursor;
    } while (cursor);
    return results;
  }

  async personByDistinctId(distinctId: string): Promise<PersonWithIdentities | null> {
    const path = `/api/analytics/persons/by-distinct-id/${encodeURIComponent(distinctId)}`;
    const response = await fetch(`${this.baseUrl}${path}`, { headers: this.headers() });
    if (response.status === 404) {
      return null;
    }
    if (!response.ok) {
      throw new Error(`GET ${path}: HTTP ${response.status} ${await response.text()}`);
    }
    return (await response.json()) as PersonWithIdentities;
  }

  private async get<T>(path: string): Promise<T> {
    const response = await fetch(`${this.baseUrl}${path}`, { headers: this.headers() });
    if (!response.ok) {
      throw new Error(`GET ${path}: HTTP ${response.status} ${await response.text()}`);
    }
    return (await response.json()) as T;
  }

  private headers(): Record<string, string> {
    return { Authorization: `Bearer ${this.readKey}` };
  }
}

function definedOnly(filters: Record<string, string | undefined>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(filters).filter((entry): entry is [string, string] => entry[1] !== undefined),
  );
}

/** Polls `probe` until `done` holds for its value, or fails with the last value seen. */
export async function eventually<T>(
  probe: () => Promise<T>,
  done: (value: T) => boolean,
  timeoutMs = 20_000,
  explain: () => string = () => '',
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T = await probe();
  while (!done(last)) {
    if (Date.now() > deadline) {
      throw new Error(
        `condition not met within ${timeoutMs} ms; last value: ${JSON.stringify(last)}\n${explain()}`,
      );
    }
    await new Promise((r) => setTimeout(r, 250));
    last = await probe();
  }
  return last;
}
