import type * as OpenPGP from 'openpgp' with { 'resolution-mode': 'import' };
import { staffWithToken } from './helpers/hub';
import { startStrikeRig, type StrikeRig } from './helpers/strike';
import { createOrg, insertMember } from './helpers/fixtures';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const openpgp: typeof OpenPGP = require('openpgp');

let rig: StrikeRig;
beforeAll(async () => { rig = await startStrikeRig({ env: { STRIKE_NOTICE_FIELDS: 'workplace_org_number' } }); });
afterAll(() => rig.close());
const call: StrikeRig['call'] = (...a) => rig.call(...a);

async function strikeWithPhase(selection: unknown): Promise<{ id: number; phaseId: number }> {
  const s = await call('POST', '/strikes', { name: 'Streik', agreementId: rig.org.agreementId });
  await call('POST', `/strikes/${s.body.id}/state`, { state: 'notice_given' });
  const p = await call('POST', `/strikes/${s.body.id}/phases`, { name: 'Uttak 1', startsAt: new Date().toISOString(), selection });
  return { id: s.body.id, phaseId: p.body.phase.id };
}

const lines = (csv: string) => csv.replace(/^\uFEFF/, '').trim().split('\r\n');

describe('plassoppsigelse lists', () => {
  test('an export holds only the configured fields of the employer\'s members taken out, and is audited with its row count', async () => {
    const a = await insertMember(rig.hub.db, { firstName: 'Anne', lastName: 'Berg', workplaceId: rig.org.workplaceId, agreementIds: [rig.org.agreementId], phone: '+4792000001', email: 'anne@example.no' });
    const b = await insertMember(rig.hub.db, { firstName: '=HYPERLINK("x")', lastName: 'Dahl', workplaceId: rig.org.otherWorkplaceId, agreementIds: [rig.org.agreementId] });
    const otherEmployer = await createOrg(rig.hub.db);
    await insertMember(rig.hub.db, { firstName: 'Ikke', lastName: 'Her', workplaceId: otherEmployer.workplaceId, agreementIds: [rig.org.agreementId] });
    const s = await strikeWithPhase({ all: [] });

    const emp = await call('GET', `/strikes/${s.id}/phases/${s.phaseId}/employers`);
    expect(emp.body.employers.find((e: any) => e.id === rig.org.employerId)).toMatchObject({ takenOut: 2, takenBack: 0 });

    const r = await call('POST', `/strikes/${s.id}/phases/${s.phaseId}/exports`, { employerId: rig.org.employerId, format: 'csv' });
    expect(r.status).toBe(201);
    expect(r.headers.get('content-type')).toMatch(/^text\/csv/);
    expect(r.headers.get('content-disposition')).toMatch(/attachment; filename="plassoppsigelse-/);
    const rows = lines(r.text);
    expect(rows[0]).toBe('Medlemsnummer,Fornavn,Etternavn,Arbeidssted,Org.nr. arbeidssted,Status');
    expect(rows).toHaveLength(3);
    expect(r.text).toContain(a.memberNumber);
    expect(r.text).toContain(b.memberNumber);
    expect(r.text).not.toContain('anne@example.no');
    expect(r.text).not.toContain('4792000001');
    expect(r.text).not.toContain('Ikke');
    // A cell that would run as a formula is written as text.
    expect(r.text).toContain(`"'=HYPERLINK(""x"")"`);

    const audited = await rig.hub.db.one(`SELECT row_count, detail FROM audit_log WHERE action = 'strike.export' ORDER BY id DESC LIMIT 1`);
    expect(audited!.row_count).toBe(2);
    expect(audited!.detail).toMatchObject({ strikeId: s.id, phaseId: s.phaseId, employerId: rig.org.employerId, format: 'csv', fields: ['member_number', 'first_name', 'last_name', 'workplace', 'workplace_org_number', 'status'] });

    // Taken back in: marked once in the next export, gone from the one after.
    await call('POST', `/strikes/${s.id}/phases/${s.phaseId}/take-back`, { selection: { memberNumbers: [a.memberNumber] } });
    const next = lines((await call('POST', `/strikes/${s.id}/phases/${s.phaseId}/exports`, { employerId: rig.org.employerId })).text);
    expect(next.find((l) => l.startsWith(a.memberNumber))).toMatch(/,Ikke lenger tatt ut$/);
    expect(next.find((l) => l.startsWith(b.memberNumber))).toMatch(/,Tatt ut i streik$/);
    const third = (await call('POST', `/strikes/${s.id}/phases/${s.phaseId}/exports`, { employerId: rig.org.employerId })).text;
    expect(third).not.toContain(a.memberNumber);
    const list = await call('GET', `/strikes/${s.id}/exports`);
    expect(list.body.exports.map((x: any) => [x.rowCount, x.returnedCount])).toEqual([[1, 0], [2, 1], [2, 0]]);
  });

  test('the encrypted list decrypts with the employer\'s key only and is audited with the key', async () => {
    const m = await insertMember(rig.hub.db, { workplaceId: rig.org.workplaceId, agreementIds: [rig.org.agreementId] });
    const s = await strikeWithPhase({ memberNumbers: [m.memberNumber] });
    const employer = await openpgp.generateKey({ type: 'ecc', curve: 'curve25519Legacy', userIDs: [{ name: 'Arbeidsgiver', email: 'hr@arbeidsgiver.example' }], format: 'armored' });
    const stranger = await openpgp.generateKey({ type: 'ecc', curve: 'curve25519Legacy', userIDs: [{ name: 'Noen', email: 'x@example.org' }], format: 'armored' });
    const noKey = await call('POST', `/strikes/${s.id}/phases/${s.phaseId}/exports`, { employerId: rig.org.employerId, format: 'pgp' });
    expect(noKey.status).toBe(422);
    expect(noKey.body.errors[0].field).toBe('body.publicKey');
    const priv = await call('POST', `/strikes/${s.id}/phases/${s.phaseId}/exports`, { employerId: rig.org.employerId, format: 'pgp', publicKey: employer.privateKey });
    expect(priv.status).toBe(400);
    const r = await call('POST', `/strikes/${s.id}/phases/${s.phaseId}/exports`, { employerId: rig.org.employerId, format: 'pgp', publicKey: employer.publicKey });
    expect(r.status).toBe(201);
    expect(r.text).toMatch(/^-----BEGIN PGP MESSAGE-----/);
    expect(r.text).not.toContain(m.memberNumber);
    const { data } = await openpgp.decrypt({ message: await openpgp.readMessage({ armoredMessage: r.text }), decryptionKeys: await openpgp.readPrivateKey({ armoredKey: employer.privateKey }), format: 'binary' });
    expect(Buffer.from(data as Uint8Array).toString('utf8')).toContain(m.memberNumber);
    await expect(openpgp.decrypt({ message: await openpgp.readMessage({ armoredMessage: r.text }), decryptionKeys: await openpgp.readPrivateKey({ armoredKey: stranger.privateKey }) })).rejects.toThrow();
    const audited = await rig.hub.db.one(`SELECT row_count, detail FROM audit_log WHERE action = 'strike.export' ORDER BY id DESC LIMIT 1`);
    expect(audited!.row_count).toBe(1);
    expect(audited!.detail.keyFingerprint).toBe((await openpgp.readKey({ armoredKey: employer.publicKey })).getFingerprint().toUpperCase());
  });

  test('only admins and communications export; a representative and an auditor are refused', async () => {
    const s = await strikeWithPhase({ all: [] });
    const holder = await insertMember(rig.hub.db, { workplaceId: rig.org.workplaceId });
    const rep = await staffWithToken(rig.hub, 'representative', { memberId: holder.id });
    const auditor = await staffWithToken(rig.hub, 'auditor');
    for (const who of [rep.auth, auditor.auth]) {
      expect((await call('POST', `/strikes/${s.id}/phases/${s.phaseId}/exports`, { employerId: rig.org.employerId }, who)).status).toBe(403);
    }
  });
});
