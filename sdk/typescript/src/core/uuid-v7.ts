/**
 * UUIDv7 (RFC 9562): 48 bits of Unix milliseconds, then randomness. Ids made in the same
 * millisecond stay in creation order because the 12-bit `rand_a` field is used as a counter,
 * so the server's "newest first" order matches the order the client captured events in.
 */

let lastMillis = -1;
let counter = 0;

// Web Crypto is slow per call; drawing randomness for 256 ids at once makes ids ~10x cheaper.
const POOL_IDS = 256;
let pool: Uint8Array = new Uint8Array(0);
let poolOffset = 0;

const HEX = Array.from({ length: 256 }, (_, byte) => byte.toString(16).padStart(2, '0'));

export function uuidv7(now: number = Date.now()): string {
  const bytes = nextRandom16();

  if (now > lastMillis) {
    lastMillis = now;
    counter = ((bytes[6] & 0x07) << 8) | bytes[7];
  } else {
    // The clock stood still or went back: keep counting from the last timestamp instead.
    counter += 1;
    if (counter > 0xfff) {
      lastMillis += 1;
      counter = 0;
    }
  }

  const millis = lastMillis;
  bytes[0] = Math.floor(millis / 2 ** 40) & 0xff;
  bytes[1] = Math.floor(millis / 2 ** 32) & 0xff;
  bytes[2] = (millis >>> 24) & 0xff;
  bytes[3] = (millis >>> 16) & 0xff;
  bytes[4] = (millis >>> 8) & 0xff;
  bytes[5] = millis & 0xff;
  bytes[6] = 0x70 | ((counter >>> 8) & 0x0f);
  bytes[7] = counter & 0xff;
  bytes[8] = 0x80 | (bytes[8] & 0x3f);

  return formatUuid(bytes);
}

function nextRandom16(): Uint8Array {
  if (poolOffset >= pool.length) {
    pool = randomBytes(16 * POOL_IDS);
    poolOffset = 0;
  }

  const bytes = pool.slice(poolOffset, poolOffset + 16);
  poolOffset += 16;
  return bytes;
}

function randomBytes(length: number): Uint8Array {
  const bytes = new Uint8Array(length);
  const cryptoApi = (globalThis as { crypto?: Crypto }).crypto;
  if (cryptoApi && typeof cryptoApi.getRandomValues === 'function') {
    cryptoApi.getRandomValues(bytes);
    return bytes;
  }

  // Old embedded browsers without Web Crypto: ids only need to be unique, not secret.
  for (let i = 0; i < length; i += 1) {
    bytes[i] = Math.floor(Math.random() * 256);
  }
  return bytes;
}

function formatUuid(bytes: Uint8Array): string {
  let hex = '';
  for (let i = 0; i < 16; i += 1) {
    hex += HEX[bytes[i]];
  }

  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
