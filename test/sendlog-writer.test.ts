import fs from 'node:fs';
import path from 'node:path';

/**
 * One writer of the send log: src/sendlog is the only module whose code writes `send_log` (and
 * its anonymous counts, `send_log_counts`). Every other area reads it or calls a named function of
 * src/sendlog. The scan reads the source text, so a write added anywhere else fails here.
 */
const root = path.join(__dirname, '..');
const WRITE = /\b(INSERT\s+INTO|UPDATE|DELETE\s+FROM|TRUNCATE(?:\s+TABLE)?|MERGE\s+INTO)\s+(?:ONLY\s+)?send_log(?:_counts)?\b/gi;

function tsFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return tsFiles(p);
    return e.name.endsWith('.ts') ? [p] : [];
  });
}

function writesIn(files: string[]): string[] {
  return files.flatMap((f) => {
    const text = fs.readFileSync(f, 'utf8');
    return [...text.matchAll(WRITE)].map((m) => {
      const line = text.slice(0, m.index).split('\n').length;
      return `${path.relative(root, f)}:${line}: ${m[0].replace(/\s+/g, ' ')}`;
    });
  });
}

const sendlogDir = path.join(root, 'src', 'sendlog');
const all = [...tsFiles(path.join(root, 'src')), ...tsFiles(path.join(root, 'queues'))];

test('no file outside src/sendlog writes send_log or send_log_counts (INSERT, UPDATE, DELETE, TRUNCATE, MERGE)', () => {
  const outside = all.filter((f) => !f.startsWith(sendlogDir + path.sep));
  expect(writesIn(outside)).toEqual([]);
});

test('the scan sees the writes that src/sendlog does have (so an empty list above means something)', () => {
  const found = writesIn(all.filter((f) => f.startsWith(sendlogDir + path.sep))).join('\n');
  expect(found).toMatch(/src\/sendlog\/index\.ts:\d+: UPDATE send_log/);
  expect(found).toMatch(/src\/sendlog\/snapshot\.ts:\d+: INSERT INTO send_log/);
  expect(found).toMatch(/src\/sendlog\/privacy\.ts:\d+: DELETE FROM send_log/);
  expect(found).toMatch(/src\/sendlog\/privacy\.ts:\d+: INSERT INTO send_log_counts/);
});
