import crypto from 'node:crypto';
import express, { type NextFunction, type Request, type Response } from 'express';
import { rateLimit } from 'express-rate-limit';
import type { Hub } from '../hub';
import type { Role, Staff } from '../auth';
import { html } from './html';
import { page } from './layout';
import {
  clearCookie, cookieName, createSession, csrfMatches, destroySession, loadSession, readCookies, setCookie, signedValue, unsign,
  verifyLogin, type Session,
} from './session';

const LOGIN_COOKIE = 'bst_login';
const WINDOW_MS = 15 * 60_000;

/** Sign-in attempts allowed per window, per client IP and per email address. */
export const LOGIN_LIMITS = { perIp: 30, perEmail: 8, windowMs: WINDOW_MS };

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

  const tooMany = (req: Request, res: Response) => {
    res.status(429).type('html').send(loginPage(hub, {
      token: loginToken(hub, req, res), next: safeNext(req.body?.next), email: String(req.body?.email ?? ''),
      error: 'For mange innloggingsforsøk. Vent et kvarter og prøv igjen.',
    }));
  };
  const perIp = rateLimit({ windowMs: WINDOW_MS, limit: LOGIN_LIMITS.perIp, standardHeaders: 'draft-8', legacyHeaders: false, handler: tooMany });
  const perEmail = rateLimit({
    windowMs: WINDOW_MS,
    limit: LOGIN_LIMITS.perEmail,
    standardHeaders: false,
    legacyHeaders: false,
    keyGenerator: (req) => `email:${String(req.body?.email ?? '').trim().toLowerCase()}`,
    handler: tooMany,
  });

  router.post('/login', perIp, perEmail, async (req, res) => {
    const token = unsign(hub, readCookies(req)[cookieName(hub, LOGIN_COOKIE)]);
    const email = String(req.body?.email ?? '').slice(0, 200);
    const password = String(req.body?.password ?? '').slice(0, 1000);
    const next = safeNext(req.body?.next);
    if (!token || typeof req.body?._csrf !== 'string' || req.body._csrf !== token) {
      res.status(403).type('html').send(loginPage(hub, { token: loginToken(hub, req, res), next, email, error: 'Skjemaet var utløpt. Prøv igjen.' }));
      return;
    }
    const staff = email && password ? await verifyLogin(hub.db, email, password) : null;
    await hub.db.query('INSERT INTO web_login_attempts (email, ok) VALUES (lower($1), $2)', [email, !!staff]);
    if (!staff) {
      hub.log.info({ ok: false }, 'staff sign-in failed');
      res.status(401).type('html').send(loginPage(hub, { token, next, email, error: 'Feil e-postadresse eller passord.' }));
      return;
    }
    await destroySession(hub, req, null); // a new session id at sign-in (no fixation)
    await createSession(hub, res, staff, req.headers['user-agent']);
    clearCookie(hub, res, LOGIN_COOKIE);
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

export function errorPage(hub: Hub, session: Session | null, status: number, title: string, text: string): string {
  return page(hub, {
    title, staff: session?.staff, csrf: session?.csrf,
    body: html`<h1>${title}</h1><p>${text}</p><p><a href="/app">Til oversikten</a></p><p class="muted">HTTP ${status}</p>`,
  });
}

export function staffOf(req: Request): Staff {
  return (req as PageReq).session!.staff;
}
export function sessionOf(req: Request): Session {
  return (req as PageReq).session!;
}
