import { readFileSync } from 'node:fs';
import { createServer, Server } from 'node:http';
import { resolve } from 'node:path';
import { freePort } from './free-port';

const BUNDLE = resolve(__dirname, '../../dist/loom-analytics.iife.js');

/**
 * A site on its own origin (127.0.0.1, another port than the service) that loads the built
 * bundle from a <script> tag, as a customer's page would. Every path under /app/ is the app
 * page, configured with the options given for that API key; /elsewhere has no SDK at all.
 */
export class TestPageServer {
  private readonly options = new Map<string, Record<string, unknown>>();

  private constructor(
    private readonly server: Server,
    readonly port: number,
  ) {}

  static async start(): Promise<TestPageServer> {
    const port = await freePort();
    const server = createServer();
    const pages = new TestPageServer(server, port);
    server.on('request', (request, response) => {
      const url = new URL(request.url ?? '/', `http://127.0.0.1:${port}`);
      if (url.pathname === '/loom-analytics.iife.js') {
        response.writeHead(200, { 'Content-Type': 'text/javascript' });
        response.end(readFileSync(BUNDLE));
      } else if (url.pathname.startsWith('/app/')) {
        response.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
        response.end(pages.appPage(url.searchParams.get('site') ?? ''));
      } else if (url.pathname === '/elsewhere') {
        response.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
        response.end('<!doctype html><title>elsewhere</title><p>a page without the SDK</p>');
      } else {
        response.writeHead(404);
        response.end();
      }
    });
    await new Promise<void>((resolveListen) => server.listen(port, '127.0.0.1', resolveListen));
    return pages;
  }

  /** Registers a site (one API key) and returns the URL of its page at `path`. */
  site(site: string, clientOptions: Record<string, unknown>, path = '/app/home'): string {
    this.options.set(site, clientOptions);
    return this.url(site, path);
  }

  url(site: string, path: string): string {
    return `http://127.0.0.1:${this.port}${path}?site=${encodeURIComponent(site)}`;
  }

  close(): Promise<void> {
    return new Promise((resolveClose) => this.server.close(() => resolveClose()));
  }

  private appPage(site: string): string {
    const options = JSON.stringify(this.options.get(site) ?? {});
    return `<!doctype html>
<html>
  <head><title>test shop</title></head>
  <body>
    <a id="leave" href="/elsewhere">leave</a>
    <script>
      // Notes each beacon in sessionStorage, which the next page of this origin can still read.
      const sendBeacon = navigator.sendBeacon.bind(navigator);
      navigator.sendBeacon = (url, data) => {
        const queued = sendBeacon(url, data);
        const notes = JSON.parse(sessionStorage.getItem('beacons') || '[]');
        notes.push({ url: String(url), queued });
        sessionStorage.setItem('beacons', JSON.stringify(notes));
        return queued;
      };
    </script>
    <script src="/loom-analytics.iife.js"></script>
    <script>
      window.analytics = new LoomAnalytics.AnalyticsClient(${options});
    </script>
  </body>
</html>`;
  }
}
