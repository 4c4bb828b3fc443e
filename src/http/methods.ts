import type { NextFunction, Request, Response } from 'express';
import { Problem } from '../errors';

/**
 * 405 with `Allow` (RFC 9110 §15.5.6) for a path that exists under other methods, for /api, the
 * member pages and the webhooks alike: the routers already know their routes, so the answer is
 * read from them (nothing to keep in step by hand). GET implies HEAD.
 */
interface Layer {
  route?: { path: string; methods: Record<string, boolean> };
  handle?: { stack?: Layer[] };
  path?: string;
  /** router 2 answers the match (with the matched `path`) or a falsy value. */
  match(path: string): unknown;
}

function collect(stack: Layer[], path: string, into: Set<string>): void {
  for (const layer of stack) {
    let matched: unknown;
    try { matched = layer.match(path); } catch { matched = null; }
    if (!matched) continue;
    if (layer.route) {
      for (const [m, on] of Object.entries(layer.route.methods)) if (on && m !== '_all') into.add(m.toUpperCase());
    } else if (layer.handle?.stack) {
      const prefix = (matched as { path?: string }).path ?? layer.path ?? '';
      const rest = path.slice(prefix.length) || '/';
      collect(layer.handle.stack, rest.startsWith('/') ? rest : `/${rest}`, into);
    }
  }
}

export function allowedMethods(stack: unknown[], path: string): string[] {
  const set = new Set<string>();
  collect(stack as Layer[], path, set);
  if (set.has('GET')) set.add('HEAD');
  return [...set].sort();
}

/** Placed after every route: a known path with another method answers 405; else on to the 404. */
export function methodNotAllowed(stack: () => unknown[]) {
  return (req: Request, res: Response, next: NextFunction): void => {
    const allow = allowedMethods(stack(), req.path);
    if (!allow.length || allow.includes(req.method)) return next();
    res.set('Allow', allow.join(', '));
    next(new Problem(405, 'Method Not Allowed', `${req.method} er ikke tillatt her; tillatt: ${allow.join(', ')}.`));
  };
}
