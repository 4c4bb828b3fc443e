import fs from 'node:fs';
import path from 'node:path';
import express, { type NextFunction, type Request, type Response } from 'express';
import type { Hub } from '../hub';
import { addStaffResolver } from '../auth';
import { Problem } from '../errors';
import { errorPage, ERROR_PAGE_TITLE, registerAuthPages } from './auth-pages';
import { loadSession, sessionResolver } from './session';
import { registerMemberPages } from './pages/members';
import { registerStaffPages } from './pages/staff';
import { registerStrikePages } from './pages/strikes';
import { registerAuditPage } from './pages/audit';
import { registerOutbox } from './outbox';
import { registerQueueBoard } from './queue-board';
import { registerTwoFactorPages } from './two-factor-pages';

export { setPassword, hashPassword, verifyLogin, MIN_PASSWORD_LENGTH } from './session';
export { html, raw, escapeHtml, Html } from './html';

/** Where the static assets are: beside this file under tsx, in the source tree when run from dist/. */
export function staticDir(): string {
  const candidates = [path.join(__dirname, 'static'), path.resolve(__dirname, '../../../src/web/static'), path.resolve(process.cwd(), 'src/web/static')];
  return candidates.find((d) => fs.existsSync(path.join(d, 'app.css'))) ?? candidates[0];
}

/**
 * The staff web pages (`/app`), their static assets (`/static`), the dev outbox (`/dev/outbox`,
 * never in production) and the queue dashboard (`/app/queues`, admins). Registered in
 * APP_MODULES; the session cookie also signs in to `/api` (with X-CSRF-Token on changes).
 */
export function mountWeb(app: express.Express, hub: Hub): void {
  addStaffResolver(sessionResolver);

  app.use('/static', express.static(staticDir(), { index: false, maxAge: hub.config.nodeEnv === 'production' ? '1h' : 0, fallthrough: false }));
  app.get('/', (_req, res) => { res.redirect(303, '/app'); });

  // Bull Board brings its own router and assets; it is mounted before the page router's body parser.
  registerQueueBoard(app, hub);

  const router = express.Router();
  router.use(express.urlencoded({ extended: false, limit: '100kb' }));
  router.use(express.json({ limit: '1mb' }));
  router.use((_req, res, next) => { res.setHeader('Cache-Control', 'no-store'); next(); });
  registerAuthPages(router, hub);
  registerTwoFactorPages(router, hub);
  registerMemberPages(router, hub);
  registerStaffPages(router, hub);
  registerStrikePages(router, hub);
  registerAuditPage(router, hub);
  router.use(async (req: Request, res: Response) => {
    const session = await loadSession(hub, req);
    res.status(404).type('html').send(errorPage(hub, session, 404, 'Fant ikke siden', 'Adressen finnes ikke.'));
  });
  router.use(async (err: any, req: Request, res: Response, _next: NextFunction) => {
    if (res.headersSent) return;
    const session = await loadSession(hub, req).catch(() => null);
    if (err instanceof Problem && err.status < 500) {
      res.status(err.status).type('html').send(errorPage(hub, session, err.status, ERROR_PAGE_TITLE[err.status] ?? 'Det gikk ikke', err.detail ?? '', err.errors ?? []));
      return;
    }
    hub.log.error({ err: { message: err?.message, stack: err?.stack }, path: req.path }, 'web page error');
    res.status(500).type('html').send(errorPage(hub, session, 500, 'Noe gikk galt', 'Feilen er logget. Prøv igjen om litt.'));
  });
  app.use('/app', router);

  registerOutbox(app, hub);
}
