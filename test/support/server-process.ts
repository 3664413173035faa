import { ChildProcess, spawn } from 'node:child_process';
import * as path from 'node:path';
import { freePort } from './free-port';

const MAIN = path.resolve(__dirname, '../../dist/main.js');

export interface ServerProcess {
  child: ChildProcess;
  baseUrl: string;
  output: () => string;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

export interface ServerProcessOptions {
  env: Record<string, string>;
  port?: number;
}

// Tries with a fresh port when another process took the one picked (see below).
const PORT_ATTEMPTS = 3;

/** The built service (`dist/main.js`) as its own process, the way `npm start` runs it. */
export async function startServerProcess(options: ServerProcessOptions): Promise<ServerProcess> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOnce(options);
    } catch (error) {
      // A port found free can be taken by another test's process before the server binds it.
      const portTaken = error instanceof PortTakenError;
      if (!portTaken || options.port !== undefined || attempt >= PORT_ATTEMPTS) {
        throw error;
      }
    }
  }
}

class PortTakenError extends Error {}

async function startOnce(options: ServerProcessOptions): Promise<ServerProcess> {
  const port = options.port ?? (await freePort());
  let output = '';
  const child = spawn(process.execPath, [MAIN], {
    env: {
      ...process.env,
      PORT: String(port),
      HOST: '127.0.0.1',
      LOG_LEVEL: 'info',
      ...options.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));

  const baseUrl = `http://127.0.0.1:${port}`;
  try {
    await waitUntilReady(baseUrl, exited, () => output);
  } catch (error) {
    if (
      child.exitCode !== null &&
      output.includes(`EADDRINUSE: address already in use 127.0.0.1:${port}`)
    ) {
      throw new PortTakenError(`port ${port} was taken`);
    }
    throw error;
  }
  return {
    child,
    baseUrl,
    output: () => output,
    stop: async (signal = 'SIGTERM') => {
      if (child.exitCode === null) {
        child.kill(signal);
      }
      return exited;
    },
  };
}

async function waitUntilReady(
  baseUrl: string,
  exited: Promise<number | null>,
  output: () => string,
): Promise<void> {
  let hasExited = false;
  void exited.then(() => (hasExited = true));
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (hasExited) {
      throw new Error(`server exited before it was ready:\n${output()}`);
    }
    try {
      const response = await fetch(`${baseUrl}/health/ready`);
      if (response.ok) {
        return;
      }
    } catch {
      // Not listening yet.
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`server not ready within 60 s:\n${output()}`);
}

/** Runs dist/main.js expecting it to refuse to start; returns its exit code and output. */
export function runToExit(
  env: Record<string, string>,
): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    let output = '';
    const child = spawn(process.execPath, [MAIN], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('exit', (code) => resolve({ code, output }));
  });
}

/**
 * Starts dist/main.js and sends it SIGTERM as soon as `when(output)` holds: a chosen moment of
 * its start-up (polled every 20 ms).
 */
export function startAndInterrupt(
  env: Record<string, string>,
  when: (output: string) => boolean,
): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    let output = '';
    const child = spawn(process.execPath, [MAIN], {
      env: { ...process.env, LOG_LEVEL: 'debug', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const poll = setInterval(() => {
      if (when(output)) {
        clearInterval(poll);
        child.kill('SIGTERM');
      }
    }, 20);
    child.on('exit', (code) => {
      clearInterval(poll);
      resolve({ code, output });
    });
  });
}
