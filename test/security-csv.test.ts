import { parse } from 'csv-parse/sync';
import { createTestHub, startApi, type TestHub } from './helpers/hub';
import { createStaffUser } from '../src/auth';
import { setPassword } from '../src/web';
import { enrolForTests } from './helpers/two-factor';
import { webSignIn } from './helpers/web-sign-in';
import { csvObjects, csvRows, escapeFormula } from '../src/csv';

/** Issue 13, "input hygiene": the one CSV writer escapes formulas; the queue board with Origin: null is a 4xx. */
test('a cell beginning with =, +, -, @, tab or CR is written as text: =HYPERLINK( never reaches the vendor\'s spreadsheet as a formula', () => {
  const name = '=HYPERLINK("https://evil.example","Klikk her")';
  const out = csvRows([['sequence', 'name'], [1, name], [2, '+47 900'], [3, '-1+1'], [4, '@SUM(A1)'], [5, '\tx'], [6, '\rx'], [7, 'Kari Nordmann'], [8, -5]]);
  const back = parse(out) as string[][];
  expect(back[1][1]).toBe(`'${name}`);
  expect(back.slice(2, 7).map((r) => r[1])).toEqual(['+47 900', "'-1+1", "'@SUM(A1)", "'\tx", "'\rx"]); // a phone number is no formula
  expect(back[7][1]).toBe('Kari Nordmann');
  expect(back[8][1]).toBe('-5'); // a number stays a number
  expect(escapeFormula('Ola')).toBe('Ola');
  const roll = csvObjects([{ member_number: '1', first_name: '=cmd|calc', last_name: 'X' }], ['member_number', 'first_name', 'last_name'], { recordDelimiter: 'windows' });
  expect(roll).toBe(`member_number,first_name,last_name\r\n1,"'=cmd|calc",X\r\n`);
});

describe('the queue board', () => {
  let t: TestHub;
  let api: Awaited<ReturnType<typeof startApi>>;
  beforeAll(async () => {
    t = await createTestHub();
    api = await startApi(t.hub);
  });
  afterAll(async () => {
    await api?.close();
    await t?.close();
  });

  test('a change with Origin: null is refused with 403, not a 500', async () => {
    const u = await createStaffUser(t.hub.db, { email: 'koadmin@test.example', name: 'Admin', role: 'admin' });
    await setPassword(t.hub.db, u.id, 'riktig-hest-batteri-stift');
    const { cookie } = await webSignIn(api.url, { email: u.email, password: 'riktig-hest-batteri-stift', ...(await enrolForTests(t.hub, u)) });
    for (const origin of ['null', 'not a url', 'http://evil.example']) {
      const r = await fetch(`${api.url}/app/queues/api/queues/x/pause`, { method: 'PUT', headers: { cookie, origin } });
      expect(r.status).toBe(403);
    }
  });
});
