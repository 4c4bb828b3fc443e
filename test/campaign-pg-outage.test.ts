import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { createDb, ensureDatabase } from '../src/db';
import { migrate } from '../src/db/migrate';
import { loadLatestVersionByKey } from '../src/render';
import { createCampaign, startCampaign, loadCampaign } from '../src/campaigns';
import { campaignRig, until, type CampaignRig } from './helpers/campaign';

jest.setTimeout(600_000);

/**
 * PostgreSQL stopped and started again in the middle of a campaign. The database is a PRIVATE
 * instance this test creates (initdb into a temporary folder, its own port and socket folder):
 * the shared PostgreSQL on 5432 is never touched.
 */
const BIN = '/usr/lib/postgresql/15/bin';
const RECIPIENTS = 4000;

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => { const p = (s.address() as net.AddressInfo).port; s.close(() => resolve(p)); });
  });
}

/** initdb and postgres refuse to run as root: as the postgres user when we are root. */
function asPostgres(cmd: string, args: string[]): string {
  const root = process.getuid?.() === 0;
  return execFileSync(root ? 'runuser' : cmd, root ? ['-u', 'postgres', '--', cmd, ...args] : args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

class PrivatePostgres {
  readonly dir = fs.mkdtempSync(path.join(os.tmpdir(), 'engine-pg-'));
  readonly data = path.join(this.dir, 'data');
  readonly sock = path.join(this.dir, 'sock');
  constructor(readonly port: number) {
    fs.mkdirSync(this.sock);
    if (process.getuid?.() === 0) execFileSync('chown', ['-R', 'postgres:postgres', this.dir]);
    asPostgres(`${BIN}/initdb`, ['-D', this.data, '-A', 'trust', '-U', 'postgres', '--no-sync', '-E', 'UTF8', '--locale', 'C.UTF-8']);
  }
  url(db: string) { return `postgres://postgres@127.0.0.1:${this.port}/${db}`; }
  start() {
    asPostgres(`${BIN}/pg_ctl`, ['-D', this.data, '-l', path.join(this.dir, 'log'), '-w', '-t', '120', 'start',
      '-o', `-p ${this.port} -k ${this.sock} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=60`]);
  }
  stop(mode: 'fast' | 'immediate') { asPostgres(`${BIN}/pg_ctl`, ['-D', this.data, '-w', '-t', '120', '-m', mode, 'stop']); }
  destroy() {
    try { this.stop('immediate'); } catch { /* not running */ }
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

describe('PostgreSQL stopped and restarted in the middle of a campaign (a private instance)', () => {
  let pg: PrivatePostgres;
  let rig: CampaignRig;
  beforeAll(async () => {
    pg = new PrivatePostgres(await freePort());
    pg.start();
    const url = pg.url('budstikke_outage');
    await ensureDatabase(url);
    const db = createDb(url, { max: 2 });
    await migrate(db);
    await db.pool.end();
    rig = await campaignRig({ ledgerMode: 'compact', env: { DATABASE_URL: url, SEND_RETRY_DELAY_MS: '500', SEND_RETRY_ATTEMPTS: '30', SEND_JOB_LOCK_MS: '5000' } });
  });
  afterAll(async () => {
    await rig?.close().catch(() => undefined);
    pg?.destroy();
  });

  test('a declinable campaign loses nobody and sends nobody twice; it completes after the database returns', async () => {
    await rig.hub.db.query(
      `INSERT INTO members (member_number, first_name, last_name, email, street, postcode, municipality_number, county_code)
       SELECT 'P' || g, 'Per', 'Brudd' || g, 'brudd' || g || '@example.no', 'Gata 1', '0150', '0301', '03' FROM generate_series(1, ${RECIPIENTS}) g`);
    const v = await loadLatestVersionByKey(rig.hub.db, 'campaign');
    const c = await createCampaign(rig.hub, null, {
      name: 'Brudd', category: 'campaign', channels: ['email'], templates: { email: v.id }, audience: { all: [] }, links: { action: 'https://forbund.example/a' },
    });
    // Answers take a while, so requests are in flight when the database goes.
    rig.em.sendgrid.faults.latency(400);
    await startCampaign(rig.hub, c.id);
    const sent = async () => (await rig.hub.db.one(`SELECT count(*)::int AS n FROM send_log WHERE campaign_id = $1 AND sent_at IS NOT NULL`, [c.id]))!.n as number;
    await until(async () => (await sent()) >= 500, 180_000, 'the campaign to be under way');
    const acceptedBefore = rig.em.sendgrid.stats().recipients;
    pg.stop('immediate');
    // The outage: the providers keep answering the requests already out while nothing can be written.
    const down = Date.now();
    await until(async () => Date.now() - down > 12_000 && rig.em.sendgrid.stats().recipients >= acceptedBefore, 60_000, 'the outage to last 12 s');
    pg.start();
    const back = Date.now();
    await until(async () => (await loadCampaign(rig.hub.db, c.id).catch(() => null))?.state === 'completed', 400_000, 'the campaign to complete');
    const counts = rig.em.sendgrid.ledger.countByRecipient();
    let lost = 0; let duplicates = 0;
    for (let g = 1; g <= RECIPIENTS; g++) {
      const k = counts.get(`brudd${g}@example.no`) ?? 0;
      if (k === 0) lost++;
      if (k > 1) duplicates += k - 1;
    }
    const log = await rig.hub.db.many(`SELECT state, count(*)::int AS n FROM send_log WHERE campaign_id = $1 GROUP BY 1 ORDER BY 1`, [c.id]);
    console.log(`PostgreSQL outage (immediate stop, 12 s): completed ${Math.round((Date.now() - back) / 1000)} s after it returned; ` +
      `${lost} lost, ${duplicates} duplicates; log ${JSON.stringify(log)}`);
    expect(duplicates).toBe(0);
    expect(lost).toBe(0);
    expect(log.filter((r) => !['sent', 'delivered'].includes(r.state))).toEqual([]);
  });
});
