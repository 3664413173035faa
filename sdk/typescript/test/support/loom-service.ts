import { ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  chmodSync,
  createWriteStream,
  existsSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  WriteStream,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { freePort } from './free-port';

/** The service as the repo root builds it (`npm run build` there), unless LOOM_MAIN_JS names another build. */
const MAIN_JS = process.env.LOOM_MAIN_JS ?? resolve(packageRoot(), '../../dist/main.js');
const REPO_ROOT = dirname(dirname(MAIN_JS));

/** This package's folder, found from here whether run from test/support or a bundled bench. */
function packageRoot(): string {
  let dir = __dirname;
  while (dirname(dir) !== dir) {
    const manifest = join(dir, 'package.json');
    if (
      existsSync(manifest) &&
      readFileSync(manifest, 'utf8').includes('"name": "@loom/analytics"')
    ) {
      return dir;
    }
    dir = dirname(dir);
  }
  throw new Error(`no @loom/analytics package.json above ${__dirname}`);
}

export type KeyType = 'write' | 'read_write';

/**
 * The real Loom Analytics service on the embedded Postgres, in a temp data dir on free ports.
 * It can be stopped (SIGTERM) and started again on the same data dir and ports, as a restart
 * in production would.
 */
export class LoomService {
  readonly adminToken = `loom_test_admin_${randomBytes(16).toString('hex')}`;
  private child: ChildProcess | null = null;
  private log: WriteStream | null = null;

  private constructor(
    readonly port: number,
    private readonly pgPort: number,
    private readonly dataDir: string,
  ) {}

  static async start(): Promise<LoomService> {
    if (!existsSync(MAIN_JS)) {
      throw new Error(`${MAIN_JS} is missing: run \`npm run build\` at the repo root first`);
    }

    const dataDir = mkdtempSync(join(tmpdir(), 'loom-sdk-e2e-'));
    // Run as root, the embedded Postgres runs as a `postgres` user, which must be able to enter
    // the directory; mkdtemp makes it 0700.
    chmodSync(dataDir, 0o755);
    const service = new LoomService(await freePort(), await freePort(), dataDir);
    try {
      await service.boot();
    } catch (error) {
      await service.dispose();
      throw error;
    }
    return service;
  }

  get baseUrl(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  private get logPath(): string {
    return join(this.dataDir, 'service.log');
  }

  async boot(): Promise<void> {
    const env = { ...process.env };
    // Always the embedded Postgres in our temp dir, whatever the caller's environment says.
    delete env.DATABASE_URL;
    Object.assign(env, {
      PORT: String(this.port),
      HOST: '127.0.0.1',
      LOOM_DATA_DIR: join(this.dataDir, 'pg'),
      LOOM_PG_PORT: String(this.pgPort),
      LOOM_ADMIN_TOKEN: this.adminToken,
      LOG_LEVEL: process.env.LOOM_SDK_TEST_LOG_LEVEL ?? 'warn',
    });

    this.log = createWriteStream(this.logPath, { flags: 'a' });
    const child = spawn(process.execPath, [MAIN_JS], { cwd: REPO_ROOT, env, stdio: 'pipe' });
    child.stdout?.pipe(this.log, { end: false });
    child.stderr?.pipe(this.log, { end: false });
    this.child = child;

    await this.waitUntilReady(child);
  }

  /** SIGTERM, as an orchestrator would, and wait for the process (and its Postgres) to end. */
  async stop(): Promise<void> {
    const child = this.child;
    this.child = null;
    if (!child || child.exitCode !== null) {
      return;
    }

    const exited = new Promise<void>((resolveExit) => child.once('exit', () => resolveExit()));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    await exited;
    clearTimeout(timer);
  }

  async dispose(): Promise<void> {
    await this.stop();
    this.log?.end();
    if (!process.env.LOOM_SDK_TEST_KEEP) {
      rmSync(this.dataDir, { recursive: true, force: true });
    }
  }

  async createKey(keyType: KeyType): Promise<string> {
    const response = await fetch(`${this.baseUrl}/api/analytics/api-keys`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${this.adminToken}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ name: `sdk-e2e-${keyType}`, key_type: keyType }),
    });
    const body = (await response.json()) as { key?: string };
    if (response.status !== 201 || !body.key) {
      throw new Error(`creating a ${keyType} key: HTTP ${response.status} ${JSON.stringify(body)}`);
    }
    return body.key;
  }

  logTail(lines = 40): string {
    if (!existsSync(this.logPath)) {
      return '';
    }
    return readFileSync(this.logPath, 'utf8').split('\n').slice(-lines).join('\n');
  }

  private async waitUntilReady(child: ChildProcess): Promise<void> {
    const deadline = Date.now() + 90_000;
    while (Date.now() < deadline) {
      if (child.exitCode !== null) {
        throw new Error(`service exited with ${child.exitCode}:\n${this.logTail()}`);
      }
      try {
        const response = await fetch(`${this.baseUrl}/health/ready`);
        if (response.status === 200) {
          return;
        }
      } catch {
        // Not listening yet.
      }
      await new Promise((r) => setTimeout(r, 200));
    }
    throw new Error(`service not ready within 90 s:\n${this.logTail()}`);
  }
}
