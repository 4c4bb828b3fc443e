import { nextSecondFactor, type TwoFactorUser } from './two-factor';

/**
 * Signing in to the staff web pages over plain HTTP, through the real forms: the password, then
 * (when the hub asks for it) the second factor from ./two-factor. Returns the session cookie, its
 * CSRF token and each answer on the way, for tests that look at them.
 */
export function cookiesOf(res: Response): Record<string, string> {
  const out: Record<string, string> = {};
  for (const c of res.headers.getSetCookie()) { const [pair] = c.split(';'); const i = pair.indexOf('='); out[pair.slice(0, i)] = pair.slice(i + 1); }
  return out;
}
export const cookieHeader = (c: Record<string, string>) => Object.entries(c).filter(([, v]) => v !== '').map(([k, v]) => `${k}=${v}`).join('; ');

export async function postPassword(baseUrl: string, email: string, password: string, o: { next?: string; headers?: Record<string, string> } = {}): Promise<Response> {
  const form = await fetch(`${baseUrl}/app/login`, { headers: o.headers });
  const token = /name="_csrf" value="([^"]+)"/.exec(await form.text())![1];
  return fetch(`${baseUrl}/app/login`, {
    method: 'POST', redirect: 'manual',
    headers: { ...o.headers, 'content-type': 'application/x-www-form-urlencoded', cookie: cookieHeader(cookiesOf(form)) },
    body: new URLSearchParams({ _csrf: token, email, password, next: o.next ?? '/app' }).toString(),
  });
}

/** Posts a code to the second step whose cookie `stepCookie` is (`bst_step=…`). */
export async function postCode(baseUrl: string, stepCookie: string, code: string, o: { headers?: Record<string, string> } = {}): Promise<Response> {
  const form = await fetch(`${baseUrl}/app/login/code`, { headers: { ...o.headers, cookie: stepCookie }, redirect: 'manual' });
  const m = /name="_csrf" value="([^"]+)"/.exec(await form.text());
  return fetch(`${baseUrl}/app/login/code`, {
    method: 'POST', redirect: 'manual',
    headers: { ...o.headers, 'content-type': 'application/x-www-form-urlencoded', cookie: stepCookie },
    body: new URLSearchParams({ _csrf: m?.[1] ?? '', code }).toString(),
  });
}

export async function webSignIn(baseUrl: string, user: TwoFactorUser & { password: string }, o: { next?: string } = {}):
  Promise<{ cookie: string; csrf: string; passwordAnswer: Response; final: Response }> {
  const passwordAnswer = await postPassword(baseUrl, user.email, user.password, o);
  if (passwordAnswer.status !== 303) throw new Error(`sign-in of ${user.email}: the password step answered ${passwordAnswer.status}`);
  let final = passwordAnswer;
  if (passwordAnswer.headers.get('location') === '/app/login/code') {
    const step = `bst_step=${cookiesOf(passwordAnswer).bst_step}`;
    final = await postCode(baseUrl, step, await nextSecondFactor(user));
    if (final.status !== 303) throw new Error(`sign-in of ${user.email}: the code step answered ${final.status}`);
  }
  const sid = cookiesOf(final).bst_sid;
  if (!sid) throw new Error(`sign-in of ${user.email} made no session (answer went to ${final.headers.get('location')})`);
  const cookie = `bst_sid=${sid}`;
  const page = await (await fetch(`${baseUrl}/app`, { headers: { cookie } })).text();
  return { cookie, csrf: /name="csrf-token" content="([^"]+)"/.exec(page)![1], passwordAnswer, final };
}
