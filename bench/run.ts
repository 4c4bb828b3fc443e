/**
 * Benchmark dispatcher: `npm run bench -- <name> [options]` runs `bench/<name>.ts` in its own
 * process (so each benchmark measures only itself), passing the options through.
 * `npm run bench` alone lists the benchmarks.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

const dir = __dirname;
const available = fs.readdirSync(dir).filter((f) => f.endsWith('.ts') && f !== 'run.ts' && !f.endsWith('.d.ts')).map((f) => f.replace(/\.ts$/, '')).sort();
const [name, ...rest] = process.argv.slice(2);

if (!name || name === '--help' || name === '-h') {
  process.stdout.write(`usage: npm run bench -- <name> [options]\nbenchmarks: ${available.join(', ')}\n`);
  process.exit(name ? 0 : 2);
}
if (!/^[a-z0-9_-]+$/i.test(name) || !available.includes(name)) {
  process.stderr.write(`bench: no benchmark "${name}"; available: ${available.join(', ')}\n`);
  process.exit(2);
}

const tsx = path.join(dir, '..', 'node_modules', 'tsx', 'dist', 'cli.mjs');
const child = spawn(process.execPath, [tsx, path.join(dir, `${name}.ts`), ...rest], { stdio: 'inherit', cwd: path.join(dir, '..') });
for (const sig of ['SIGINT', 'SIGTERM'] as const) process.on(sig, () => child.kill(sig));
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
