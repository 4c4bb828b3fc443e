import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';

/**
 * The provider emulators are development-only code (dev/emulators): the production build never
 * compiles them and the hub never loads them in NODE_ENV=production.
 */
const run = promisify(execFile);
const root = path.join(__dirname, '..');
const tsx = path.join(root, 'node_modules/tsx/dist/cli.mjs');

test('npm run build compiles nothing from dev/ (its program is src, queues and scripts only)', async () => {
  const { stdout } = await run(process.execPath, [path.join(root, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json', '--listFilesOnly'],
    { cwd: root, maxBuffer: 64 * 1024 * 1024 });
  const ours = stdout.split('\n').map((l) => path.relative(root, l.trim())).filter((l) => l && !l.startsWith('node_modules') && !l.startsWith('..'));
  expect(ours).toContain(path.join('src', 'main.ts'));
  expect(ours.filter((f) => f.startsWith(`dev${path.sep}`))).toEqual([]);
}, 180_000);

/** In a fresh process: call the loader, then report whether any dev/emulators module was loaded. */
async function loadIn(nodeEnv: string): Promise<{ threw: string | null; loaded: boolean }> {
  const script = `
    const { loadDevEmulators } = require('./src/dev-emulators');
    let threw = null;
    try { const m = loadDevEmulators({ nodeEnv: ${JSON.stringify(nodeEnv)} }); if (typeof m.startForHub !== 'function') threw = 'no startForHub'; }
    catch (e) { threw = e.message; }
    const loaded = Object.keys(require.cache).some((k) => k.includes('${path.join('dev', 'emulators')}'));
    process.stdout.write(JSON.stringify({ threw, loaded }));`;
  const { stdout } = await run(process.execPath, [tsx, '-e', script], { cwd: root, env: { ...process.env, NODE_ENV: nodeEnv } });
  return JSON.parse(stdout);
}

test('NODE_ENV=production: the loader refuses before dev/emulators is even resolved', async () => {
  const r = await loadIn('production');
  expect(r.threw).toMatch(/never load in production/);
  expect(r.loaded).toBe(false);
}, 120_000);

test('development: the same loader does load them (npm start keeps its in-process emulators)', async () => {
  const r = await loadIn('development');
  expect(r.threw).toBeNull();
  expect(r.loaded).toBe(true);
}, 120_000);
