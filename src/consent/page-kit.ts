import type { Request, Response } from 'express';
import type { Hub } from '../hub';
import { escapeHtml } from '../web/html';
import { T, type Lang } from './i18n';

/** The look of every member page (one-click unsubscribe, preference centre, preference entry): one stylesheet, no JavaScript. */
export const esc = escapeHtml;

const CSS = `body{font:17px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;color:#1b1b1b;background:#f6f6f4}
main{max-width:36rem;margin:0 auto;padding:1.25rem}h1{font-size:1.5rem;line-height:1.25}
.card{background:#fff;border:1px solid #ddd;border-radius:8px;padding:1rem 1.25rem;margin:1rem 0}
button{font:inherit;font-weight:600;padding:.75rem 1.25rem;min-height:44px;border-radius:6px;border:2px solid #8a1c1c;background:#8a1c1c;color:#fff;cursor:pointer}
button:focus-visible,a:focus-visible,input:focus-visible{outline:3px solid #1d4ed8;outline-offset:2px}
a{color:#1d4ed8}fieldset{border:1px solid #ddd;border-radius:8px;margin:0 0 1rem;padding:.75rem 1rem}
legend{font-weight:600;padding:0 .25rem}label{display:flex;gap:.6rem;align-items:center;min-height:44px}
input[type=checkbox],input[type=radio]{width:1.3rem;height:1.3rem}.note{color:#555;font-size:.95rem;margin:.25rem 0}
.ok{background:#e7f5e9;border-color:#9ccfa4}.warn{background:#fff4e5;border-color:#f0c27b}
.field{display:block;margin:.5rem 0 1rem}.field label{display:block;min-height:0;font-weight:600;margin-bottom:.35rem}
input[type=text]{font:inherit;padding:.6rem .75rem;min-height:44px;border:1px solid #767676;border-radius:6px;width:100%;box-sizing:border-box}
.err{color:#8a1c1c;font-weight:600;margin:.35rem 0}nav.lang{font-size:.95rem}nav.lang a{margin-right:1rem}`;

export function page(lang: Lang, title: string, body: string): string {
  return `<!doctype html><html lang="${lang === 'en' ? 'en' : lang === 'nn' ? 'nn' : 'nb'}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><meta name="robots" content="noindex, nofollow">
<title>${esc(title)}</title><style>${CSS}</style></head><body><main><h1>${esc(title)}</h1>${body}</main></body></html>`;
}

/**
 * res.end rather than express's res.send: send hashes every body for an ETag (~2 % of a one-click
 * unsubscribe's CPU), of no use on pages that are never stored (no-store) and mostly answer POSTs.
 */
export function send(res: Response, status: number, html: string): void {
  res.status(status).set('Cache-Control', 'no-store').type('html').set('Content-Length', String(Buffer.byteLength(html))).end(html);
}


export function wrap(hub: Hub, fn: (req: Request, res: Response) => Promise<void>) {
  return async (req: Request, res: Response) => {
    try {
      await fn(req, res);
    } catch (err: any) {
      hub.log.error({ err: { message: err?.message, stack: err?.stack }, path: req.route?.path }, 'member page failed');
      if (!res.headersSent) send(res, 500, page('nb', 'Feil / Error', '<p>Noe gikk galt. Ingenting er endret. Prøv igjen senere.</p><p lang="en">Something went wrong. Nothing has changed. Please try again later.</p>'));
    }
  };
}

export function badLink(res: Response): void {
  send(res, 400, page('nb', `${T.nb.badTitle} / ${T.en.badTitle}`,
    `<div class="card warn"><p>${esc(T.nb.badLead)}</p><p lang="en">${esc(T.en.badLead)}</p></div>`));
}

export function gone(res: Response): void {
  send(res, 404, page('nb', `${T.nb.badTitle} / ${T.en.badTitle}`,
    `<div class="card warn"><p>${esc(T.nb.goneLead)}</p><p lang="en">${esc(T.en.goneLead)}</p></div>`));
}

