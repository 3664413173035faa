export interface RequestContext {
  orgId: string;
  receivedAt: Date;
  sentAt: Date | undefined;
  ipAddress: string | null;
  userAgent: string | null;
}

/** An event that passed validation, in the shape the writer stores. */
export interface NormalizedEvent {
  id: string;
  distinctId: string;
  eventName: string;
  properties: Record<string, unknown>;
  timestamp: Date;
  receivedAt: Date;
  ipAddress: string | null;
  userAgent: string | null;
}

export interface EventIssue {
  index: number;
  code: string;
  message: string;
}
