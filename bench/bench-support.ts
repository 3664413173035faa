import { ChildProcess, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

export interface Spawned {
  child: ChildProcess;
  baseUrl: string;
  stop(): Promise<void>;
}

/** Starts a node script and waits until `readyPath` answers 2xx. */
export async function spawnServer(
  script: string,
  env: Record<string, string>,
  readyPath: string,
): Promise<Spawned> {
  const port = await freePort();
  const child = spawn(process.execPath, [script], {
    env: { ...process.env, ...env, PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  const baseUrl = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      const response = await fetch(`${baseUrl}${readyPath}`, { method: 'GET' });
      if (response.status < 500) {
        break;
      }
    } catch {
      // Not up yet.
    }
    if (Date.now() > deadline || child.exitCode !== null) {
      throw new Error(`${script} did not become ready`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return {
    child,
    baseUrl,
    stop: async () => {
      child.kill('SIGTERM');
      await exited;
    },
  };
}

/** Samples a process's resident set size while `work` runs; returns the peak in MB. */
export async function peakRss<T>(
  pid: number,
  work: () => Promise<T>,
): Promise<{ result: T; peakMb: number }> {
  let peakKb = 0;
  const sample = () => {
    try {
      const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
      const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
      peakKb = Math.max(peakKb, kb);
    } catch {
      // The process may be gone at the very end.
    }
  };
  sample();
  const timer = setInterval(sample, 50);
  try {
    const result = await work();
    return { result, peakMb: peakKb / 1024 };
  } finally {
    clearInterval(timer);
    sample();
  }
}

/** A ~300-byte event, as a browser SDK would send it. */
export function sampleEvent(distinctId: string): Record<string, unknown> {
  return {
    event: 'button_clicked',
    distinct_id: distinctId,
    properties: {
      button_name: 'checkout',
      page: '/cart',
      $current_url: 'https://shop.example.com/cart?ref=newsletter',
      $browser: 'Chrome',
      $os: 'Mac OS X',
      $screen_width: 1512,
      cart_value: 129.5,
      items: 3,
    },
    timestamp: '2026-12-01T12:00:00.000Z',
  };
}
