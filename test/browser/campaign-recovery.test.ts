import { loadLatestVersionByKey } from '../../src/render';
import { loadCampaign } from '../../src/campaigns';
import { until } from '../helpers/campaign';
import { staffWithToken } from '../helpers/hub';
import { createOrg, insertMember } from '../helpers/fixtures';
import { axeViolations, screenshot, signIn } from './browser';
import { communicationsInBrowser } from './rig';

/**
 * The delivery engine's recovery on the campaign page: "Prøv feilede på nytt" (POST /retry) and
 * "Send uvisse på nytt" (POST /in-doubt/send-again), each behind a confirmation naming the count,
 * audited, and reaching the emulator only for the rows concerned.
 */
const LINKS = { action: 'https://forbund.example/a', read: 'https://forbund.example/r', payment: 'https://forbund.example/p', info: 'https://forbund.example/i' };

describe('the campaign page retries failed rows and sends in-doubt rows again (Chromium)', () => {
  const s = communicationsInBrowser({ env: { APPROVAL_THRESHOLD: '100000' }, staff: { name: 'Kari Kommunikasjon' } });

  test('a retryable failure and an in-doubt row are sent again from the page after a confirmation naming the count; the others get nothing more', async () => {
    const org = await createOrg(s.rig.hub.db);
    const ms: { id: number; memberNumber: string; email: string }[] = [];
    for (let i = 0; i < 4; i++) ms.push({ ...(await insertMember(s.rig.hub.db, { email: `gjen${i}@example.no`, phone: null, clubId: org.clubId })), email: `gjen${i}@example.no` });
    const token = (await staffWithToken(s.rig.hub, 'communications')).auth;
    const v = await loadLatestVersionByKey(s.rig.hub.db, 'campaign');
    // No provider events: rows are set failed / in doubt by hand below, after SendGrid accepted them.
    s.rig.em.sendgrid.setWebhookUrl(undefined);
    try {
      const created = await fetch(`${s.rig.url}/api/campaigns`, { method: 'POST', headers: { ...token, 'content-type': 'application/json' }, body: JSON.stringify({
        name: 'Gjenoppretting', category: 'campaign', channels: ['email'], templates: { email: v.id }, audience: { memberNumbers: ms.map((m) => m.memberNumber) }, links: LINKS,
      }) }).then((r) => r.json());
      const id = created.id as number;
      await fetch(`${s.rig.url}/api/campaigns/${id}/launch`, { method: 'POST', headers: { ...token, 'content-type': 'application/json' }, body: '{}' });
      await until(async () => (await loadCampaign(s.rig.hub.db, id)).state === 'completed', 120_000, 'campaign completed');
      // As a revoked key recorded before halts existed, a recipient refusal, and a lost answer.
      await s.rig.hub.db.query(`UPDATE send_log SET state = 'failed', reason = 'rejected: SendGrid 401: The provided authorization grant is invalid, expired, or revoked' WHERE campaign_id = $1 AND member_id = $2`, [id, ms[0].id]);
      await s.rig.hub.db.query(`UPDATE send_log SET state = 'failed', reason = 'recipient: SendGrid 400: Does not contain a valid address.' WHERE campaign_id = $1 AND member_id = $2`, [id, ms[1].id]);
      await s.rig.hub.db.query(`UPDATE send_log SET state = 'in_doubt', reason = 'in doubt: the answer was lost' WHERE campaign_id = $1 AND member_id = $2`, [id, ms[2].id]);

      const page = await s.b.newPage();
      await signIn(page, s.rig.url, s.comms, `/app/campaigns/${id}`);
      await page.locator('#in-doubt').waitFor();
      expect(await page.locator('#in-doubt').innerText()).toContain('1 meldinger er uvisst om ble sendt');
      expect(await axeViolations(page)).toEqual([]);
      await screenshot(page, 'campaign-recovery-1280');

      await page.getByRole('button', { name: 'Prøv feilede på nytt' }).click();
      expect(await page.locator('#confirm-text').innerText()).toContain('Av 2 feilede');
      await page.locator('#confirm-yes').click();
      await page.locator('#action-result', { hasText: '1 meldinger sendes på nytt.' }).waitFor();
      await until(async () => (await s.rig.hub.db.one(`SELECT state FROM send_log WHERE campaign_id = $1 AND member_id = $2`, [id, ms[0].id]))!.state === 'sent', 120_000, 'retried row sent');

      await page.getByRole('button', { name: 'Send uvisse på nytt' }).click();
      expect(await page.locator('#confirm-text').innerText()).toContain('Sende på nytt til 1 mottakere');
      await page.locator('#confirm-yes').click();
      await page.locator('#action-result', { hasText: '1 meldinger sendes på nytt.' }).waitFor();
      await until(async () => (await s.rig.hub.db.one(`SELECT state FROM send_log WHERE campaign_id = $1 AND member_id = $2`, [id, ms[2].id]))!.state === 'sent', 120_000, 'in-doubt row sent');
      await until(async () => (await loadCampaign(s.rig.hub.db, id)).state === 'completed', 120_000, 'completed again');

      const counts = s.rig.em.sendgrid.ledger.countByRecipient();
      expect(ms.map((m) => counts.get(m.email))).toEqual([2, 1, 2, 1]);
      expect((await s.rig.hub.db.one(`SELECT state FROM send_log WHERE campaign_id = $1 AND member_id = $2`, [id, ms[1].id]))!.state).toBe('failed');
      const audited = await s.rig.hub.db.many(`SELECT action, row_count FROM audit_log WHERE action IN ('campaign.retry', 'campaign.send_again') ORDER BY id`);
      expect(audited).toEqual([{ action: 'campaign.retry', row_count: 1 }, { action: 'campaign.send_again', row_count: 1 }]);
    } finally {
      s.rig.em.sendgrid.setWebhookUrl(`${s.rig.url}/webhooks/sendgrid/events`);
    }
  });
});
