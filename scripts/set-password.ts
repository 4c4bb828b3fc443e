/**
 * Sets a staff user's password for the web pages: `npm run set-password -- EMAIL`.
 * The password is read from the terminal (not echoed) or, when stdin is not a terminal, from its
 * first line (`echo "$PW" | npm run set-password -- EMAIL`). Ends the user's open sessions.
 */
import readline from 'node:readline';
import { configFromEnvironment, ConfigError } from '../src/config';
import { createDb } from '../src/db';
import { migrate } from '../src/db/migrate';
import { setPassword, MIN_PASSWORD_LENGTH } from '../src/web';

function fail(line: string, code = 1): never {
  process.stderr.write(`set-password: ${line}\n`);
  process.exit(code);
}

async function readPassword(prompt: string): Promise<string> {
  if (!process.stdin.isTTY) {
    const rl = readline.createInterface({ input: process.stdin });
    for await (const line of rl) { rl.close(); return line; }
    return '';
  }
  return new Promise((resolve) => {
    process.stdout.write(prompt);
    const stdin = process.stdin;
    stdin.setRawMode(true);
    stdin.resume();
    let pw = '';
    const onData = (buf: Buffer) => {
      for (const ch of buf.toString('utf8')) {
        if (ch === '\r' || ch === '\n') { stdin.setRawMode(false); stdin.pause(); stdin.off('data', onData); process.stdout.write('\n'); resolve(pw); return; }
        if (ch === '\u0003') { process.stdout.write('\n'); process.exit(130); }
        if (ch === '\u007f') pw = pw.slice(0, -1); else pw += ch;
      }
    };
    stdin.on('data', onData);
  });
}

async function main(): Promise<void> {
  const email = process.argv[2];
  if (!email) fail('usage: npm run set-password -- EMAIL', 2);
  let config;
  try { config = configFromEnvironment(); } catch (err) { if (err instanceof ConfigError) fail(err.message, 2); throw err; }
  const db = createDb(config.databaseUrl, { max: 1 });
  try {
    await migrate(db);
    const user = await db.one('SELECT id FROM staff_users WHERE email = lower($1)', [email]);
    if (!user) fail(`no staff user with email ${email}`);
    const pw = await readPassword(`New password for ${email} (at least ${MIN_PASSWORD_LENGTH} characters): `);
    if (pw.length < MIN_PASSWORD_LENGTH) fail(`the password must be at least ${MIN_PASSWORD_LENGTH} characters`);
    if (process.stdin.isTTY) {
      const again = await readPassword('Repeat: ');
      if (again !== pw) fail('the passwords differ');
    }
    await setPassword(db, user.id, pw);
    process.stdout.write(`Password set for ${email}; their open sessions were ended.\n`);
  } finally {
    await db.close();
  }
}

main().catch((err) => fail(err?.message ?? String(err)));
