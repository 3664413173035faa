export { AnalyticsClient } from './browser/analytics-client';
export type { AnalyticsClientOptions } from './browser/analytics-client';
export type { PersistenceMode } from './browser/persistence/persistence-factory';
export { NodeAnalyticsClient } from './node/node-analytics-client';
export type { NodeAnalyticsClientOptions } from './node/node-analytics-client';
export type { RetryPolicy } from './core/retry-schedule';
export type {
  CaptureOptions,
  ErrorCode,
  ErrorHandler,
  ErrorReport,
  Properties,
} from './core/types';
export { uuidv7 } from './core/uuid-v7';
export { LIB_VERSION } from './core/version';
