import { createHash, randomBytes } from 'node:crypto';

/** Credentials are stored as SHA-256 digests; they are long random strings, so no salt is needed. */
export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('hex');
}

/** 32 random bytes in URL-safe base64: 256 bits, far beyond guessing. */
export function randomSecret(): string {
  return randomBytes(32).toString('base64url');
}
