/**
 * The provider emulators as a separate process (benchmarks, the worker-kill test):
 *
 *   tsx dev/emulators/cli.ts [--hub-url http://127.0.0.1:3000] [--sendgrid-port 0] [--twilio-port 0]
 *        [--ledger compact|count|full] [--keep-bodies 2000] [--sendgrid-api-key SG.x]
 *        [--account-sid AC…] [--auth-token …] [--signing-key-pem FILE] [--heap-mb 256]
 *
 * Prints one JSON line on stdout once listening:
 *   {"sendgrid":{"url","publicKeyBase64"},"twilio":{"url"},"env":{SENDGRID_BASE_URL,…},"pid"}
 * Faults and stats over HTTP: POST {url}/__emulator/faults, GET {url}/__emulator/stats.
 * Stops on SIGTERM/SIGINT. Refuses NODE_ENV=production.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import { spawn } from 'node:child_process';
import { startEmulators } from './index';

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

/**
 * Left alone, V8 lets a process that allocates as fast as this one (a ~1 MB JSON body per
 * request) grow its heap to several times its live set before collecting; the live set stays
 * under 200 MB at a million recipients. So unless the caller chose a cap (--max-old-space-size in
 * NODE_OPTIONS or the node flags), re-run this script under one (--heap-mb, default 256) and
 * relay signals. The JSON line's `pid` is the process that serves.
 */
function relaunchWithHeapCap(): boolean {
  const chosen = `${process.env.NODE_OPTIONS ?? ''} ${process.execArgv.join(' ')}`.includes('max-old-space-size');
  const mb = Number(arg('heap-mb') ?? 256);
  if (chosen || !(mb > 0)) return false;
  const child = spawn(process.execPath, [...process.execArgv, `--max-old-space-size=${mb}`, ...process.argv.slice(1)], { stdio: 'inherit' });
  for (const sig of ['SIGTERM', 'SIGINT'] as const) process.on(sig, () => child.kill(sig));
  child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
  return true;
}

async function main() {
  if (relaunchWithHeapCap()) return;
  if (process.env.NODE_ENV === 'production') {
    process.stderr.write('budstikke: the provider emulators never run in production\n');
    process.exit(2);
  }
  const pem = arg('signing-key-pem') ?? process.env.EMULATOR_SIGNING_KEY_FILE;
  const ledgerMode = (arg('ledger') ?? 'compact') as 'compact' | 'count' | 'full';
  const emulators = await startEmulators({
    hubUrl: arg('hub-url'),
    sendgridPort: Number(arg('sendgrid-port') ?? 0),
    twilioPort: Number(arg('twilio-port') ?? 0),
    ledgerMode,
    keepBodies: arg('keep-bodies') ? Number(arg('keep-bodies')) : undefined,
    sendgrid: { apiKey: arg('sendgrid-api-key') },
    twilio: { accountSid: arg('account-sid') ?? process.env.TWILIO_ACCOUNT_SID, authToken: arg('auth-token') ?? process.env.TWILIO_AUTH_TOKEN },
    signingKey: pem ? crypto.createPrivateKey(fs.readFileSync(pem)) : undefined,
  });
  process.stdout.write(`${JSON.stringify({
    sendgrid: { url: emulators.sendgrid.url, publicKeyBase64: emulators.sendgrid.publicKeyBase64 },
    twilio: { url: emulators.twilio.url },
    env: emulators.env,
    pid: process.pid,
  })}\n`);
  const stop = () => { emulators.close().then(() => process.exit(0), () => process.exit(1)); };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

main().catch((e) => { process.stderr.write(`emulators: ${e?.stack ?? e}\n`); process.exit(1); });
