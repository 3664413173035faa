import * as path from 'node:path';

export interface AppConfig {
  port: number;
  host: string;
  databaseUrl: string | undefined;
  dataDir: string;
  embeddedPgPort: number;
  adminToken: string | undefined;
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  logFormat: 'json' | 'pretty';
  trustProxy: boolean;
  databasePoolSize: number;
}

export const APP_CONFIG = Symbol('APP_CONFIG');

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
const LOG_FORMATS = ['json', 'pretty'] as const;

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((problem) => `  - ${problem}`).join('\n')}`);
  }
}

type Env = Record<string, string | undefined>;

/**
 * Reads the environment once at boot. Every bad variable is collected before failing, so an
 * operator fixes them all in one go instead of one restart per mistake.
 */
export function loadConfig(env: Env = process.env): AppConfig {
  const problems: string[] = [];
  const reader = new EnvReader(env, problems);

  const config: AppConfig = {
    port: reader.port('PORT', 3000),
    host: reader.string('HOST', '127.0.0.1'),
    databaseUrl: reader.databaseUrl('DATABASE_URL'),
    dataDir: path.resolve(reader.string('LOOM_DATA_DIR', './.loom')),
    embeddedPgPort: reader.port('LOOM_PG_PORT', 5433),
    adminToken: reader.adminToken('LOOM_ADMIN_TOKEN'),
    logLevel: reader.oneOf('LOG_LEVEL', LOG_LEVELS, 'info'),
    logFormat: reader.oneOf('LOG_FORMAT', LOG_FORMATS, 'json'),
    trustProxy: reader.boolean('TRUST_PROXY', false),
    databasePoolSize: reader.integer('DATABASE_POOL_SIZE', 10, { min: 2, max: 200 }),
  };

  if (problems.length > 0) {
    throw new ConfigError(problems);
  }
  return config;
}

class EnvReader {
  constructor(
    private readonly env: Env,
    private readonly problems: string[],
  ) {}

  string(name: string, fallback: string): string {
    const value = this.env[name];
    if (value === undefined || value === '') {
      return fallback;
    }
    return value;
  }

  integer(name: string, fallback: number, range: { min: number; max: number }): number {
    const raw = this.env[name];
    if (raw === undefined || raw === '') {
      return fallback;
    }
    const value = Number(raw);
    if (!Number.isInteger(value) || value < range.min || value > range.max) {
      this.problems.push(
        `${name} must be an integer from ${range.min} to ${range.max}, got "${raw}"`,
      );
      return fallback;
    }
    return value;
  }

  port(name: string, fallback: number): number {
    return this.integer(name, fallback, { min: 0, max: 65535 });
  }

  boolean(name: string, fallback: boolean): boolean {
    const raw = this.env[name];
    if (raw === undefined || raw === '') {
      return fallback;
    }
    if (['1', 'true', 'yes'].includes(raw.toLowerCase())) {
      return true;
    }
    if (['0', 'false', 'no'].includes(raw.toLowerCase())) {
      return false;
    }
    this.problems.push(`${name} must be true or false, got "${raw}"`);
    return fallback;
  }

  oneOf<T extends string>(name: string, allowed: readonly T[], fallback: T): T {
    const raw = this.env[name];
    if (raw === undefined || raw === '') {
      return fallback;
    }
    if (!(allowed as readonly string[]).includes(raw)) {
      this.problems.push(`${name} must be one of ${allowed.join(', ')}, got "${raw}"`);
      return fallback;
    }
    return raw as T;
  }

  databaseUrl(name: string): string | undefined {
    const raw = this.env[name];
    if (raw === undefined || raw === '') {
      return undefined;
    }
    try {
      const url = new URL(raw);
      if (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:') {
        this.problems.push(`${name} must be a postgres:// or postgresql:// URL`);
      }
    } catch {
      // The value may hold a password, so it is never echoed back.
      this.problems.push(`${name} is not a valid URL`);
    }
    return raw;
  }

  adminToken(name: string): string | undefined {
    const raw = this.env[name];
    if (raw === undefined || raw === '') {
      return undefined;
    }
    if (raw.length < 16) {
      this.problems.push(`${name} must be at least 16 characters long`);
    }
    return raw;
  }
}
