/**
 * Creates a staff user (or reuses one with that email) and prints a new bearer token, once:
 *   npm run create-token -- EMAIL NAME ROLE [MEMBER_NUMBER]
 * ROLE is admin, communications, representative or auditor; a representative needs the member
 * number of the member whose tillitsverv scope what they see.
 */
import { createDb, ensureDatabase } from '../src/db';
import { migrate } from '../src/db/migrate';
import { createApiToken, createStaffUser, ROLES, type Role } from '../src/auth';
import { audit } from '../src/audit';
import { dbFailure, fail, scriptConfig } from './cli';

async function main(): Promise<void> {
  const [email, name, role, memberNumber] = process.argv.slice(2);
  const usage = 'usage: npm run create-token -- EMAIL NAME ROLE [MEMBER_NUMBER]';
  if (!email || !name || !role || process.argv.length > 6) fail('create-token', usage, 2);
  if (!/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(email)) fail('create-token', `"${email}" is not an email address; ${usage}`, 2);
  if (!ROLES.includes(role as Role)) fail('create-token', `role must be one of ${ROLES.join(', ')}`, 2);
  if (role === 'representative' && !memberNumber) fail('create-token', 'a representative needs the MEMBER_NUMBER of the member holding their roles', 2);
  const config = scriptConfig('create-token');
  let db: ReturnType<typeof createDb> | undefined;
  try {
    await ensureDatabase(config.databaseUrl);
    db = createDb(config.databaseUrl, { max: 1, applicationName: 'budstikke-create-token' });
    await migrate(db);
    const token = await db.tx(async (c) => {
      let memberId: number | null = null;
      if (memberNumber) {
        const m = (await c.query('SELECT id FROM members WHERE member_number = $1', [memberNumber])).rows[0];
        if (!m) fail('create-token', `no member ${memberNumber}`);
        memberId = m.id;
      }
      const existing = (await c.query('SELECT id, role, member_id FROM staff_users WHERE email = lower($1)', [email])).rows[0];
      if (existing && (existing.role !== role || (memberId !== null && existing.member_id !== memberId))) {
        fail('create-token', `${email} exists with role ${existing.role}; a token is only added for the same role`);
      }
      const userId = existing?.id ?? (await createStaffUser(c, { email, name, role, memberId })).id;
      if (!existing) await audit(c, { staff: null, actor: 'cli', action: 'user.create', detail: { userId, role } });
      const t = await createApiToken(c, userId, 'create-token');
      await audit(c, { staff: null, actor: 'cli', action: 'token.create', detail: { userId, tokenId: t.id } });
      return t.token;
    });
    process.stdout.write(`Bearer token for ${email.toLowerCase()} (${role}), shown once:\n${token}\n`);
  } catch (err) {
    fail('create-token', dbFailure(config, err));
  } finally {
    await db?.close();
  }
}

main().catch((err) => fail('create-token', err?.message ?? String(err)));
