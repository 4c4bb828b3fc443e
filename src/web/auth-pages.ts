import crypto from 'node:crypto';
import express, { type NextFunction, type Request, type Response } from 'express';
import type { Hub } from '../hub';
import { twoFactorRequired, twoFactorStatus, type Role, type Staff } from '../auth';
import { startStep } from './sign-in-step';
import { html } from './html';
import { page } from './layout';
import { normaliseEmail, recordFailure, recordSuccess, throttleWait } from './throttle';
import {
  clearCookie, cookieName, createSession, csrfMatches, destroySession, loadSession, readCookies, setCookie, signedValue, unsign,
  verifyLogin, type Session,
} from './session';

const LOGIN_COOKIE = 'bst_login';
const WINDOW_MS = 15 * 60_000;

function safeNext(next: unknown): string {
  return typeof next === 'string' && /^\/(app|dev)(\/|\?|$)/.test(next) && !next.startsWith('//') ? next : '/app';
}

function loginPage(hub: Hub, o: { token: string; next: string; email?: string; error?: string; status?: number }): string {
  return page(hub, {
    title: 'Logg inn',
    bodyClass: 'login',
    body: html`<section class="card narrow">
  <h1>Logg inn</h1>
  ${o.error ? html`<p class="error" role="alert" id="login-error">${o.error}</p>` : ''}
  <form method="post" action="/app/login" class="stack">
    <input type="hidden" name="_csrf" value="${o.token}">
    <input type="hidden" name="next" value="${o.next}">
    <label for="email">E-postadresse</label>
    <input id="email" name="email" type="email" autocomplete="username" required value="${o.email ?? ''}"${o.error ? html` aria-describedby="login-error"` : ''}>
    <label for="password">Passord</label>
    <input id="password" name="password" type="password" autocomplete="current-password" required>
    <button type="submit" class="primary">Logg inn</button>
  </form>
</section>`,
  });
}

/** A pre-session token for the sign-in form (double submit: signed cookie + hidden field). */
function loginToken(hub: Hub, req: Request, res: Response): string {
  const existing = unsign(hub, readCookies(req)[cookieName(hub, LOGIN_COOKIE)]);
  if (existing) return existing;
  const token = crypto.randomBytes(24).toString('base64url');
  setCookie(hub, res, LOGIN_COOKIE, signedValue(hub, token), WINDOW_MS * 4);
  return token;
}

export function registerAuthPages(router: express.Router, hub: Hub): void {
  router.get('/login', async (req, res) => {
    if (await loadSession(hub, req)) { res.redirect(303, safeNext(req.query.next)); return; }
    res.type('html').send(loginPage(hub, { token: loginToken(hub, req, res), next: safeNext(req.query.next) }));
  });

  // Growing delays per email, per email and address, and per address (./throttle.ts), never a lockout.
  router.post('/login', async (req, res) => {
    const token = unsign(hub, readCookies(req)[cookieName(hub, LOGIN_COOKIE)]);
    const rawEmail = typeof req.body?.email === 'string' ? req.body.email : '';
    const email = normaliseEmail(rawEmail);
    const shown = (email ?? rawEmail.trim()).slice(0, 254);
    const password = String(req.body?.password ?? '').slice(0, 1000);
    const next = safeNext(req.body?.next);
    const ip = req.ip ?? req.socket.remoteAddress ?? 'unknown';
    if (!token || typeof req.body?._csrf !== 'string' || req.body._csrf !== token) {
      res.status(403).type('html').send(loginPage(hub, { token: loginToken(hub, req, res), next, email: shown, error: 'Skjemaet var utløpt. Prøv igjen.' }));
      return;
    }
    const wait = await throttleWait(hub, email, ip);
    if (wait > 0) {
      const seconds = Math.ceil(wait / 1000);
      res.status(429).set('Retry-After', String(seconds)).type('html').send(loginPage(hub, {
        token, next, email: shown,
        error: `For mange mislykkede forsøk. Vent ${seconds} sekund${seconds === 1 ? '' : 'er'} og prøv igjen.`,
      }));
      return;
    }
    const staff = email && password ? await verifyLogin(hub.db, email, password) : null;
    await hub.db.query('INSERT INTO web_login_attempts (email, ok) VALUES ($1, $2)', [(email ?? '(ugyldig)').slice(0, 254), !!staff]);
    if (!staff) {
      await recordFailure(hub, email, ip);
      hub.log.info({ ok: false }, 'staff sign-in failed');
      res.status(401).type('html').send(loginPage(hub, { token, next, email: shown, error: 'Feil e-postadresse eller passord.' }));
      return;
    }
    await recordSuccess(hub, email!, ip);
    await destroySession(hub, req, null); // a new session id at sign-in (no fixation)
    clearCookie(hub, res, LOGIN_COOKIE);
    // Two-factor sign-in (./two-factor-pages.ts): with an authenticator, the code comes next; a
    // role that must have one and has none enrols first. Neither is a session yet.
    if ((await twoFactorStatus(hub.db, staff.id)).enrolled) {
      await startStep(hub, res, staff, 'code', next);
      res.redirect(303, '/app/login/code');
      return;
    }
    if (twoFactorRequired(hub.config, staff.role)) {
      await startStep(hub, res, staff, 'enrol', next);
      res.redirect(303, '/app/2fa');
      return;
    }
    await createSession(hub, res, staff, req.headers['user-agent']);
    hub.log.info({ staffUserId: staff.id }, 'staff signed in');
    res.redirect(303, next);
  });

  router.post('/logout', async (req, res) => {
    const session = await loadSession(hub, req);
    if (session && csrfMatches(session, req.body?._csrf)) await destroySession(hub, req, res);
    res.redirect(303, '/app/login');
  });
}

export interface PageReq extends Request { session?: Session }

/** Page guard: a session (else to sign-in), and one of the roles (else a 403 page). */
export function requireStaff(hub: Hub, roles: Role[] | 'all' = 'all') {
  return async (req: Request, res: Response, next: NextFunction) => {
    const session = await loadSession(hub, req);
    if (!session) {
      if (req.method === 'GET') res.redirect(303, `/app/login?next=${encodeURIComponent(req.originalUrl)}`);
      else res.status(401).type('text').send('Du er ikke logget inn.');
      return;
    }
    if (roles !== 'all' && !roles.includes(session.staff.role)) {
      res.status(403).type('html').send(errorPage(hub, session, 403, 'Ingen tilgang', 'Rollen din gir ikke tilgang til denne siden.'));
      return;
    }
    if (!['GET', 'HEAD'].includes(req.method) && !csrfMatches(session, req.body?._csrf ?? req.headers['x-csrf-token'])) {
      res.status(403).type('text').send('CSRF-tokenet mangler eller er feil.');
      return;
    }
    (req as PageReq).session = session;
    next();
  };
}

/** An error page for staff; `errors` lists each field that was wrong (from a Problem). */
export function errorPage(hub: Hub, session: Session | null, status: number, title: string, text: string, errors: { field: string; message: string }[] = []): string {
  return page(hub, {
    title, staff: session?.staff, csrf: session?.csrf,
    body: html`<h1>${title}</h1><p>${text}</p>${errors.length ? html`<ul id="field-errors">${errors.map((e) => html`<li>${e.message} <span class="muted">(${e.field})</span></li>`)}</ul>` : ''}
<p><a href="/app">Til oversikten</a></p><p class="muted">HTTP ${status}</p>`,
  });
}

/** The heading of a staff error page, in Norwegian, by HTTP status (a Problem's title is English, for the API). */
export const ERROR_PAGE_TITLE: Record<number, string> = {
  400: 'Noe er feil i det du sendte', 401: 'Du er ikke logget inn', 403: 'Ingen tilgang', 404: 'Fant ikke siden',
  405: 'Ikke tillatt her', 409: 'Det går ikke nå', 410: 'Ikke lenger tilgjengelig', 413: 'For stort', 415: 'Feil format',
  422: 'Kan ikke gjennomføres', 429: 'For mange forsøk',
};

export function staffOf(req: Request): Staff {
  return (req as PageReq).session!.staff;
}
export function sessionOf(req: Request): Session {
  return (req as PageReq).session!;
}
