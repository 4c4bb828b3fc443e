import fs from 'node:fs';
import { until } from '../helpers/campaign';
import { createOrg, insertMember } from '../helpers/fixtures';
import { staffWithToken } from '../helpers/hub';
import { apiAs, axeViolations, screenshot, signIn } from './browser';
import { communicationsInBrowser } from './rig';

/**
 * Letters' print runs on the campaign page (issue 12): each run (PDF + manifest) downloads from
 * the page, and the download is audited; it reads "Klar til trykk" until staff mark it handed to
 * the printer (audited), then "Levert til trykkeri". Representatives and auditors get no files.
 */
describe('print runs on the campaign page (Chromium)', () => {
  const s = communicationsInBrowser({ env: { APPROVAL_THRESHOLD: '1000' }, staff: { email: 'komm-trykk@budstikke.example', name: 'Trine Trykk' } });


  test('a letter campaign\'s print run downloads from the campaign page (audited) and is marked handed to the printer (audited)', async () => {
    const org = await createOrg(s.rig.hub.db);
    await insertMember(s.rig.hub.db, { firstName: 'Liv', lastName: 'Brev', email: null, workplaceId: org.workplaceId });
    await insertMember(s.rig.hub.db, { firstName: 'Leif', lastName: 'Brev', email: null, workplaceId: org.workplaceId });
    const page = await s.b.newPage();
    await signIn(page, s.rig.url, s.comms, '/app');
    const tpl = await apiAs(page, 'POST', '/api/templates', {
      key: 'brev-trykk', name: 'Brev til trykk', category: 'campaign',
      languages: { nb: { subject: 'Brev', mjml: null, sms: null, letter: '# Til medlemmene\n\nHei {{firstName}}!' } },
    });
    expect(tpl.status).toBe(201);
    const c = await apiAs(page, 'POST', '/api/campaigns', { name: 'Brevkampanjen', category: 'campaign', channels: ['letter'], templates: { letter: tpl.body.version.id }, audience: { all: [{ workplace: [org.workplaceId] }] } });
    expect(c.status).toBe(201);
    const id = c.body.campaign?.id ?? c.body.id;
    expect((await apiAs(page, 'POST', `/api/campaigns/${id}/launch`, {})).status).toBeLessThan(300);
    await until(async () => (await s.rig.hub.db.one(`SELECT count(*)::int AS n FROM send_log WHERE campaign_id = $1 AND channel = 'letter' AND provider_message_id IS NOT NULL`, [id]))!.n === 2, 120_000, 'letters printed');

    await page.goto(`${s.rig.url}/app/campaigns/${id}`);
    const runRow = page.locator('#print-run-table tbody tr').first();
    await runRow.waitFor();
    expect(await runRow.locator('[data-state]').innerText()).toBe('Klar til trykk');
    expect(await runRow.locator('td.num').innerText()).toBe('2');

    const [download] = await Promise.all([page.waitForEvent('download'), runRow.getByRole('link', { name: 'PDF' }).click()]);
    const file = await download.path();
    const bytes = fs.readFileSync(file);
    expect(bytes.subarray(0, 5).toString()).toBe('%PDF-');
    expect(download.suggestedFilename()).toMatch(new RegExp(`^kampanje-${id}-.+\\.pdf$`));
    const [manifest] = await Promise.all([page.waitForEvent('download'), runRow.getByRole('link', { name: 'Manifest (CSV)' }).click()]);
    const csv = fs.readFileSync(await manifest.path(), 'utf8');
    expect(csv).toContain('Liv Brev');
    await until(async () => (await s.rig.hub.db.one(`SELECT count(*)::int AS n FROM audit_log WHERE action = 'print_run.download' AND actor_user_id = $1 AND (detail->>'campaignId')::int = $2`, [s.comms.id, id]))!.n === 2, 15_000, 'downloads audited');
    expect(await axeViolations(page)).toEqual([]);
    await screenshot(page, 'print-runs-1280');
    await page.setViewportSize({ width: 390, height: 844 });
    await screenshot(page, 'print-runs-390');
    await page.setViewportSize({ width: 1280, height: 900 });

    await runRow.getByRole('button', { name: 'Marker som levert til trykkeri' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Ja, levert til trykkeri' }).click();
    await page.locator('#print-run-table [data-state="handed_over"]', { hasText: /^Levert til trykkeri .* av Trine Trykk$/ }).waitFor();
    expect(await page.getByRole('button', { name: 'Marker som levert til trykkeri' }).count()).toBe(0);
    expect((await s.rig.hub.db.one(`SELECT count(*)::int AS n FROM audit_log WHERE action = 'print_run.handed_over' AND actor_user_id = $1`, [s.comms.id]))!.n).toBe(1);

    // A representative or an auditor gets neither the list nor the files.
    const runs = await apiAs(page, 'GET', `/api/campaigns/${id}/print-runs`);
    const name = runs.body.runs[0].name as string;
    for (const role of ['representative', 'auditor'] as const) {
      const who = await staffWithToken(s.rig.hub, role, role === 'representative' ? { memberId: (await insertMember(s.rig.hub.db, { workplaceId: org.workplaceId })).id } : {});
      const res = await fetch(`${s.rig.url}/api/campaigns/${id}/print-runs/${name}/pdf`, { headers: who.auth });
      expect(res.status).toBe(403);
    }
    // An unknown run is a 404 in Norwegian.
    const missing = await apiAs(page, 'POST', `/api/campaigns/${id}/print-runs/finnes-ikke/handed-over`, {});
    expect(missing.status).toBe(404);
    expect(missing.body.detail).toBe(`Kampanje ${id} har ingen trykkfil «finnes-ikke».`);
  });
});
