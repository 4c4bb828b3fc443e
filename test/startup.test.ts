import { spawnSync } from 'node:child_process';
import path from 'node:path';

const root = path.resolve(__dirname, '..');

function start(env: Record<string, string>, mode = 'api') {
  const r = spawnSync(process.execPath, [path.join(root, 'node_modules/tsx/dist/cli.mjs'), 'src/main.ts', mode], {
    cwd: root,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', NODE_ENV: 'test', PORT: '0', ...env },
    encoding: 'utf8',
    // A start-up that fails must end by itself; the bound is only against a hang, generous for a loaded machine.
    timeout: 300_000,
  });
  return { code: r.status, stderr: r.stderr.trim(), stdout: r.stdout };
}

describe('start-up failures are one clear line', () => {
  test('PostgreSQL unreachable names the URL and DATABASE_URL', () => {
    const r = start({ DATABASE_URL: 'postgres://postgres:secret@127.0.0.1:1/budstikke' });
    expect(r.code).toBe(1);
    expect(r.stderr.split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/cannot reach PostgreSQL at postgres:\/\/postgres:\*\*\*@127\.0\.0\.1:1\/budstikke .*set DATABASE_URL/);
  });

  test('Redis unreachable names the URL and REDIS_URL', () => {
    const r = start({ REDIS_URL: 'redis://127.0.0.1:1' });
    expect(r.code).toBe(1);
    expect(r.stderr.split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/cannot reach Redis at redis:\/\/127\.0\.0\.1:1 .*set REDIS_URL/);
  });

  test('a wrong value stops start-up naming the variable', () => {
    const r = start({ SMS_QUIET_HOURS: 'late' });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/SMS_QUIET_HOURS must be HH:MM-HH:MM/);
  });

  test('a configured SendGrid webhook key is never silently replaced by the in-process emulators', () => {
    const key = Buffer.alloc(91, 7).toString('base64');
    const r = start({ NODE_ENV: 'development', SENDGRID_WEBHOOK_PUBLIC_KEY: key, DEMO_SEED: '0' }, 'all');
    expect(r.code).toBe(2);
    expect(r.stderr.split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/SENDGRID_WEBHOOK_PUBLIC_KEY is set.*SENDGRID_BASE_URL.*EMULATORS=0/);
  });
});
