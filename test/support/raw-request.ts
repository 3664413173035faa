import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { TestApp } from './test-app';

export interface RawResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  // Parsed JSON when the server answered JSON, else the raw text; specs read fields off it.
  body: any;
}

/**
 * Posts exact bytes with exactly the headers given. supertest fills in a Content-Type and
 * serialises bodies itself, which hides the cases beacons and gzip-by-magic-bytes depend on.
 */
export function postRaw(
  testApp: TestApp,
  path: string,
  body: Buffer | string,
  headers: Record<string, string> = {},
): Promise<RawResponse> {
  const { port } = testApp.app.getHttpServer().address() as AddressInfo;
  const payload = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;

  return new Promise((resolve, reject) => {
    const request = http.request(
      {
        host: '127.0.0.1',
        port,
        path,
        method: 'POST',
        headers: { 'Content-Length': String(payload.length), ...headers },
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          resolve({
            status: response.statusCode ?? 0,
            headers: response.headers,
            body: parse(text),
          });
        });
      },
    );
    request.on('error', reject);
    request.end(payload);
  });
}

function parse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
