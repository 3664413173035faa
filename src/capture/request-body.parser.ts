import type { NextFunction, Request, Response } from 'express';
import { promisify } from 'node:util';
import * as zlib from 'node:zlib';
import { ApiError } from '../common/api-error';
import { rawJsonDepthExceeds } from '../common/json-limits';

export const MAX_DECODED_BODY_BYTES = 20 * 1024 * 1024;

// Bodies nest a few levels above the properties (batch, event, properties), whose own limit is
// 64. Anything deeper than this is refused before it is parsed at all.
const MAX_BODY_DEPTH = 128;

const DECODERS: Record<string, (input: Buffer, options: zlib.ZlibOptions) => Promise<Buffer>> = {
  gzip: promisify(zlib.gunzip),
  'x-gzip': promisify(zlib.gunzip),
  deflate: promisify(zlib.inflate),
  br: promisify(zlib.brotliDecompress),
};

/**
 * Reads every JSON-ish body by hand, because SDKs send more than `application/json`: beacons
 * arrive as `text/plain` or with no type, and gzip is announced by header or only by its magic
 * bytes. Limits apply to the decoded size, and gunzip stops at the limit, so a small bomb cannot
 * inflate into memory.
 */
export function parseRequestBody(request: Request, _response: Response, next: NextFunction): void {
  if (!['POST', 'PUT', 'PATCH', 'DELETE'].includes(request.method)) {
    next();
    return;
  }
  readBody(request)
    .then((body) => {
      request.body = body;
      next();
    })
    .catch(next);
}

async function readBody(request: Request): Promise<unknown> {
  const raw = await readRaw(request);
  if (raw.length === 0) {
    return undefined;
  }

  const decoded = await decode(request, raw);
  // A byte-order mark is legal at the start of UTF-8 text but not of JSON.
  const text = decodeForm(request, decoded.toString('utf8').replace(/^\uFEFF/, ''));
  if (text.trim().length === 0) {
    return undefined;
  }
  if (rawJsonDepthExceeds(text, MAX_BODY_DEPTH)) {
    throw ApiError.badRequest(
      'nesting_too_deep',
      `JSON nests deeper than ${MAX_BODY_DEPTH} levels`,
    );
  }
  try {
    return JSON.parse(text);
  } catch {
    // The parser's own message quotes the body, which may be binary or hold secrets.
    throw ApiError.badRequest('invalid_json', 'Body is not valid JSON');
  }
}

function readRaw(request: Request): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let refused = false;

    request.on('data', (chunk: Buffer) => {
      if (refused) {
        return;
      }
      size += chunk.length;
      if (size > MAX_DECODED_BODY_BYTES) {
        refused = true;
        chunks.length = 0;
        reject(tooLarge());
        return;
      }
      chunks.push(chunk);
    });
    request.on('end', () => resolve(Buffer.concat(chunks)));
    request.on('error', (error) => reject(ApiError.badRequest('body_read_failed', error.message)));
  });
}

/**
 * Undoes the declared Content-Encoding (gzip, deflate, br). A body with no declared encoding is
 * still gunzipped when it starts with gzip's magic bytes: posthog-js sends it that way.
 */
async function decode(request: Request, raw: Buffer): Promise<Buffer> {
  const declared = String(request.headers['content-encoding'] ?? '')
    .toLowerCase()
    .split(',')
    .map((encoding) => encoding.trim())
    .filter((encoding) => encoding !== '' && encoding !== 'identity');
  if (declared.length > 1) {
    throw unsupportedEncoding(declared.join(', '));
  }

  const encoding = declared[0] ?? (raw[0] === 0x1f && raw[1] === 0x8b ? 'gzip' : undefined);
  if (encoding === undefined) {
    return raw;
  }
  const decoder = DECODERS[encoding];
  if (!decoder) {
    throw unsupportedEncoding(encoding);
  }
  try {
    return await decoder(raw, { maxOutputLength: MAX_DECODED_BODY_BYTES });
  } catch (error) {
    if ((error as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE') {
      throw tooLarge();
    }
    throw ApiError.badRequest(
      encoding.endsWith('gzip') ? 'invalid_gzip' : 'invalid_encoding',
      `Body is not valid ${encoding} data (truncated or corrupt)`,
    );
  }
}

function unsupportedEncoding(encoding: string): ApiError {
  return new ApiError(
    415,
    'unsupported_encoding',
    `Content-Encoding "${encoding}" is not supported; use gzip, deflate or br`,
  );
}

/**
 * Older posthog-js builds post `data=<json or base64 json>` as a form; everything else is JSON
 * whatever its declared type.
 */
function decodeForm(request: Request, text: string): string {
  const type = String(request.headers['content-type'] ?? '').toLowerCase();
  if (!type.startsWith('application/x-www-form-urlencoded')) {
    return text;
  }
  const data = new URLSearchParams(text).get('data');
  if (data === null) {
    return text;
  }
  const trimmed = data.trim();
  if (trimmed.startsWith('{') || trimmed.startsWith('[')) {
    return trimmed;
  }
  return Buffer.from(trimmed, 'base64').toString('utf8');
}

function tooLarge(): ApiError {
  return ApiError.payloadTooLarge(
    'payload_too_large',
    `Request body exceeds the limit of ${MAX_DECODED_BODY_BYTES / 1024 / 1024} MB (decoded)`,
    { limit_bytes: MAX_DECODED_BODY_BYTES },
  );
}
