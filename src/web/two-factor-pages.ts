import crypto from 'node:crypto';
import type express from 'express';
import type { Request, Response } from 'express';
import QRCode from 'qrcode';
import type { Hub } from '../hub';
import {
  confirmEnrolment, pendingEnrolment, twoFactorRequired, twoFactorStatus, verifySecondFactor, type Staff,
} from '../auth';
import { html, raw, type Html } from './html';
import { page } from './layout';
import { recordFailure, recordSuccess, throttleWait } from './throttle';
import { createSession, destroySession, loadSession, type Session } from './session';
import { endStep, loadStep, type SignInStep } from './sign-in-step';

/**
 * The second step of sign-in and the enrolment page (issue 13):
 *  - /app/login/code: after the password, the 6-digit code or a recovery code; throttled like
 *    the password (src/web/throttle.ts, counters of its own); only then a session is made.
 *  - /app/2fa: a user's own two-factor page. Without an authenticator it enrols (QR code and the
 *    secret in text, confirmed with a first code, then ten recovery codes shown once). A role in
 *    STAFF_2FA_REQUIRED arrives here from the password step with no session at all, so nothing
 *    else is reachable until enrolment is done; other roles come from their own page when they like.
 */

const same = (a: string, b: unknown) => typeof b === 'string' && a.length === b.length && crypto.timingSafeEqual(Buffer.from(a), Buffer.from(b));
const clientIp = (req: Request) => req.ip ?? req.socket.remoteAddress ?? 'unknown';

function codePage(hub: Hub, step: SignInStep, error?: string): string {
  return page(hub, {
    title: 'Tofaktor-innlogging',
    bodyClass: 'login',
    body: html`<section class="card narrow">
  <h1>Bekreft at det er deg</h1>
  <p>Skriv inn den sekssifrede koden fra autentiseringsappen din. Har du ikke telefonen, kan du bruke en av gjenopprettingskodene.</p>
  ${error ? html`<p class="error" role="alert" id="code-error">${error}</p>` : ''}
  <form method="post" action="/app/login/code" class="stack">
    <input type="hidden" name="_csrf" value="${step.csrf}">
    <label for="code">Kode</label>
    <input id="code" name="code" type="text" inputmode="numeric" autocomplete="one-time-code" required maxlength="40" autofocus${error ? html` aria-describedby="code-error"` : ''}>
    <button type="submit" class="primary">Logg inn</button>
  </form>
  <p><a href="/app/login">Avbryt og logg inn på nytt</a></p>
</section>`,
  });
}

async function qrSvg(uri: string): Promise<Html> {
  const svg = await QRCode.toString(uri, { type: 'svg', margin: 2, errorCorrectionLevel: 'M', width: 220 });
  // Markup made by the QR library from our own otpauth URI, no user input.
  return raw(svg.replace('<svg ', '<svg role="img" aria-label="QR-kode for autentiseringsappen" class="qr" '));
}

const grouped = (secret: string) => secret.replace(/(.{4})/g, '$1 ').trim();

async function enrolPage(hub: Hub, o: { staff: Staff; csrf: string; session: Session | null; required: boolean; error?: string }): Promise<string | null> {
  const pending = await pendingEnrolment(hub, o.staff);
  if (!pending) return null;
  return page(hub, {
    title: 'Sett opp tofaktor-innlogging', staff: o.session?.staff, csrf: o.session?.csrf, current: '/app/2fa',
    body: html`<h1>Sett opp tofaktor-innlogging</h1>
${o.required ? html`<p class="notice">Rollen din krever tofaktor-innlogging. Sett den opp for å fortsette – før det er ingen andre sider tilgjengelige.</p>` : ''}
<section class="card" aria-labelledby="h-scan">
  <h2 id="h-scan">1. Skann koden med autentiseringsappen</h2>
  <p>Bruk en app som støtter TOTP, for eksempel Microsoft Authenticator, Google Authenticator, FreeOTP eller 1Password.</p>
  ${await qrSvg(pending.uri)}
  <p>Kan du ikke skanne? Legg inn denne nøkkelen manuelt (tidsbasert, 6 sifre, 30 sekunder):</p>
  <p><code id="totp-secret" class="secret">${grouped(pending.secret)}</code></p>
</section>
<section class="card" aria-labelledby="h-confirm">
  <h2 id="h-confirm">2. Bekreft med en kode fra appen</h2>
  ${o.error ? html`<p class="error" role="alert" id="enrol-error">${o.error}</p>` : ''}
  <form method="post" action="/app/2fa" class="stack narrow">
    <input type="hidden" name="_csrf" value="${o.csrf}">
    <label for="code">Sekssifret kode</label>
    <input id="code" name="code" type="text" inputmode="numeric" autocomplete="one-time-code" pattern="[0-9 ]{6,7}" required maxlength="7"${o.error ? html` aria-describedby="enrol-error"` : ''}>
    <button type="submit" class="primary">Slå på tofaktor-innlogging</button>
  </form>
</section>`,
  });
}

function statusPage(hub: Hub, session: Session, s: { enrolledAt: Date | null; recoveryCodesLeft: number }): string {
  return page(hub, {
    title: 'Tofaktor-innlogging', staff: session.staff, csrf: session.csrf, current: '/app/2fa',
    body: html`<h1>Tofaktor-innlogging</h1>
<section class="card"><p id="twofactor-status">Tofaktor-innlogging er <strong>slått på</strong>${s.enrolledAt ? html` (siden ${new Date(s.enrolledAt).toLocaleDateString('nb-NO', { timeZone: 'Europe/Oslo' })})` : ''}.</p>
<p>Du har <strong id="recovery-left">${s.recoveryCodesLeft}</strong> ubrukte gjenopprettingskoder.</p>
<p class="muted">Har du mistet telefonen eller kodene, kan en administrator nullstille tofaktor-innloggingen din. Da setter du den opp på nytt neste gang du logger inn.</p></section>`,
  });
}

function recoveryPage(hub: Hub, session: Session, codes: string[], next: string): string {
  return page(hub, {
    title: 'Gjenopprettingskoder', staff: session.staff, csrf: session.csrf, current: '/app/2fa',
    body: html`<h1>Tofaktor-innlogging er slått på</h1>
<section class="card" aria-labelledby="h-codes">
  <h2 id="h-codes">Dine gjenopprettingskoder</h2>
  <p>Skriv dem ut eller lagre dem et trygt sted. <strong>De vises bare denne ene gangen.</strong> Hver kode kan brukes én gang i stedet for koden fra appen, for eksempel hvis du mister telefonen.</p>
  <ol class="recovery-codes" id="recovery-codes">${codes.map((c) => html`<li><code>${c}</code></li>`)}</ol>
  <p><a class="button primary" href="${next}">Jeg har tatt vare på kodene – fortsett</a></p>
</section>`,
  });
}

/** Who is at /app/2fa: a signed-in user, or one half-way through a sign-in that must enrol. */
async function enrolee(hub: Hub, req: Request): Promise<{ staff: Staff; csrf: string; session: Session | null; step: SignInStep | null } | null> {
  const session = await loadSession(hub, req);
  if (session) return { staff: session.staff, csrf: session.csrf, session, step: null };
  const step = await loadStep(hub, req);
  if (step?.purpose === 'enrol') return { staff: step.staff, csrf: step.csrf, session: null, step };
  return null;
}

export function registerTwoFactorPages(router: express.Router, hub: Hub): void {
  router.get('/login/code', async (req, res) => {
    const step = await loadStep(hub, req);
    if (!step || step.purpose !== 'code') { res.redirect(303, '/app/login'); return; }
    res.type('html').send(codePage(hub, step));
  });

  router.post('/login/code', async (req: Request, res: Response) => {
    const step = await loadStep(hub, req);
    if (!step || step.purpose !== 'code') { res.redirect(303, '/app/login'); return; }
    if (!same(step.csrf, req.body?._csrf)) { res.status(403).type('html').send(codePage(hub, step, 'Skjemaet var utløpt. Prøv igjen.')); return; }
    const ip = clientIp(req);
    const wait = await throttleWait(hub, step.staff.email, ip, 'code');
    if (wait > 0) {
      const seconds = Math.ceil(wait / 1000);
      res.status(429).set('Retry-After', String(seconds)).type('html')
        .send(codePage(hub, step, `For mange mislykkede forsøk. Vent ${seconds} sekund${seconds === 1 ? '' : 'er'} og prøv igjen.`));
      return;
    }
    const result = await verifySecondFactor(hub, step.staff, String(req.body?.code ?? ''));
    if (result === 'wrong' || result === 'replay') {
      await recordFailure(hub, step.staff.email, ip, 'code');
      hub.log.info({ staffUserId: step.staff.id, reason: result }, 'staff second step failed');
      res.status(401).type('html').send(codePage(hub, step,
        result === 'replay' ? 'Den koden er allerede brukt. Vent til appen viser en ny kode.' : 'Koden stemmer ikke. Prøv igjen.'));
      return;
    }
    await recordSuccess(hub, step.staff.email, ip, 'code');
    await endStep(hub, req, res);
    await destroySession(hub, req, null);
    await createSession(hub, res, step.staff, req.headers['user-agent']);
    hub.log.info({ staffUserId: step.staff.id, with: result }, 'staff signed in');
    res.redirect(303, step.next);
  });

  router.get('/2fa', async (req, res) => {
    const who = await enrolee(hub, req);
    if (!who) { res.redirect(303, '/app/login?next=%2Fapp%2F2fa'); return; }
    const status = await twoFactorStatus(hub.db, who.staff.id);
    if (status.enrolled && who.session) { res.type('html').send(statusPage(hub, who.session, status)); return; }
    const body = await enrolPage(hub, { ...who, required: twoFactorRequired(hub.config, who.staff.role) });
    if (!body) { res.redirect(303, '/app/login'); return; }
    res.type('html').send(body);
  });

  router.post('/2fa', async (req, res) => {
    const who = await enrolee(hub, req);
    if (!who) { res.status(401).type('text').send('Du er ikke logget inn.'); return; }
    if (!same(who.csrf, req.body?._csrf)) { res.status(403).type('text').send('CSRF-tokenet mangler eller er feil.'); return; }
    const codes = await confirmEnrolment(hub, who.staff, String(req.body?.code ?? '').slice(0, 20));
    if (!codes) {
      const body = await enrolPage(hub, { ...who, required: twoFactorRequired(hub.config, who.staff.role), error: 'Koden stemmer ikke. Sjekk at klokken på telefonen er riktig, og prøv med neste kode.' });
      if (!body) { res.redirect(303, '/app/2fa'); return; }
      res.status(400).type('html').send(body);
      return;
    }
    let session = who.session;
    let next = '/app/2fa';
    if (who.step) {
      // Enrolment was the second step of this sign-in: it is complete now.
      await endStep(hub, req, res);
      session = await createSession(hub, res, who.staff, req.headers['user-agent']);
      next = who.step.next;
      hub.log.info({ staffUserId: who.staff.id, with: 'enrolment' }, 'staff signed in');
    }
    res.type('html').send(recoveryPage(hub, session!, codes, next));
  });
}
