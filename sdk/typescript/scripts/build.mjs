// Bundles the SDK: ESM and CommonJS for packages, an IIFE (global `LoomAnalytics`) for a
// <script> tag, then .d.ts files from tsc. Run from the package folder: `npm run build`.
import { execFileSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const require = createRequire(import.meta.url);

rmSync(join(root, 'dist'), { recursive: true, force: true });

const common = {
  entryPoints: [join(root, 'src/index.ts')],
  bundle: true,
  target: 'es2020',
  define: { __LOOM_SDK_VERSION__: JSON.stringify(pkg.version) },
  sourcemap: true,
  logLevel: 'warning',
};

await Promise.all([
  build({ ...common, format: 'esm', platform: 'neutral', outfile: join(root, 'dist/index.mjs') }),
  build({ ...common, format: 'cjs', platform: 'neutral', outfile: join(root, 'dist/index.cjs') }),
  build({
    ...common,
    format: 'iife',
    globalName: 'LoomAnalytics',
    platform: 'browser',
    minify: true,
    outfile: join(root, 'dist/loom-analytics.iife.js'),
  }),
]);

const tsc = require.resolve('typescript/bin/tsc');
execFileSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.build.json')], {
  stdio: 'inherit',
});
