import fs from 'node:fs';
import path from 'node:path';

function findRoot(start: string): string {
  let dir = start;
  while (!fs.existsSync(path.join(dir, 'package.json'))) {
    const up = path.dirname(dir);
    if (up === dir) throw new Error(`no package.json above ${start}`);
    dir = up;
  }
  return dir;
}

/** The project's root, whether running from src/ with tsx or from dist/ after a build. */
export const ROOT = findRoot(__dirname);
export const MIGRATIONS_DIR = path.join(ROOT, 'migrations');
export const DATA_DIR = path.join(ROOT, 'data');
export const TEMPLATES_DIR = path.join(ROOT, 'templates');
