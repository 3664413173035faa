// Where a database error happened, without what was in it.
const LOCATION_FIELDS = ['code', 'routine', 'table', 'column', 'constraint'] as const;

// Postgres quotes the offending value in its messages (`invalid input syntax for type uuid:
// "…"`); the quoted part may be a distinct id, an email or an IP.
const QUOTED = /"[^"]*"|'[^']*'/g;

/** Masks the quoted parts of a message Postgres wrote, where it puts the values it refused. */
export function maskQuotedValues(message: string): string {
  return message.replace(QUOTED, '"[redacted]"');
}

/**
 * What of an unexpected error may go to the log. A failed statement carries its parameters
 * (TypeORM's `parameters`) and Postgres' `detail` names the failing row: both hold the distinct
 * ids, IPs, user agents and properties of the events being stored. Kept: the error's type, its
 * message with quoted values masked, the SQLSTATE and where it happened, the SQL text (which has
 * placeholders, not values) and the stack frames.
 */
export function loggableError(error: unknown): Record<string, unknown> {
  if (!(error instanceof Error)) {
    return { type: typeof error };
  }
  const fields: Record<string, unknown> = {
    type: error.constructor.name,
    message: maskQuotedValues(error.message),
  };

  const source = error as unknown as Record<string, unknown>;
  const driverError = (source.driverError ?? source) as Record<string, unknown>;
  for (const field of LOCATION_FIELDS) {
    if (typeof driverError[field] === 'string') {
      fields[field] = driverError[field];
    }
  }
  if (typeof source.query === 'string') {
    fields.query = source.query;
  }
  // The stack's first line repeats the unmasked message; the frames below it are code only.
  fields.stack = error.stack?.split('\n').slice(1).join('\n');
  return fields;
}
