import { KeyValueStore } from './key-value-store';

export interface CookieOptions {
  /** `Domain=` attribute, e.g. `.example.com` to share the identity across subdomains. */
  domain?: string;
  /** Adds `Secure`; defaults to true on https pages. */
  secure: boolean;
  maxAgeSeconds: number;
}

/** Minimal view of `document` so tests and non-DOM hosts can supply their own. */
export interface CookieJar {
  cookie: string;
}

export const ONE_YEAR_SECONDS = 365 * 24 * 60 * 60;

/** First-party cookies with `SameSite=Lax`, values URI-encoded. */
export class CookieStore implements KeyValueStore {
  constructor(
    private readonly jar: () => CookieJar,
    private readonly options: CookieOptions,
  ) {}

  get(key: string): string | null {
    const prefix = `${key}=`;
    for (const part of this.jar().cookie.split(';')) {
      const cookie = part.trim();
      if (cookie.startsWith(prefix)) {
        return decodeURIComponent(cookie.slice(prefix.length));
      }
    }
    return null;
  }

  set(key: string, value: string): void {
    this.write(key, encodeURIComponent(value), this.options.maxAgeSeconds);
  }

  remove(key: string): void {
    this.write(key, '', 0);
  }

  private write(key: string, encoded: string, maxAgeSeconds: number): void {
    let cookie = `${key}=${encoded}; Max-Age=${maxAgeSeconds}; Path=/; SameSite=Lax`;
    if (this.options.domain) {
      cookie += `; Domain=${this.options.domain}`;
    }
    if (this.options.secure) {
      cookie += '; Secure';
    }
    this.jar().cookie = cookie;
  }
}

/**
 * The registrable domain for a cross-subdomain cookie: the last two labels of the host. Hosts
 * under a two-label public suffix (`example.co.uk`) need `cookieDomain` set explicitly, since
 * knowing every public suffix would mean shipping the whole suffix list. Returns undefined for
 * IP addresses and single-label hosts, where a Domain attribute would make browsers drop the
 * cookie.
 */
export function crossSubdomainDomain(hostname: string): string | undefined {
  if (/^[\d.]+$/.test(hostname) || hostname.includes(':')) {
    return undefined;
  }

  const labels = hostname.split('.').filter((label) => label.length > 0);
  if (labels.length < 2) {
    return undefined;
  }
  return `.${labels.slice(-2).join('.')}`;
}
