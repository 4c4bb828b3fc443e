import iconv from 'iconv-lite';
import { Problem } from '../../errors';

export type Encoding = 'utf-8' | 'windows-1252';

/** Bytes decoded into one string (a regular young-generation object, also as UTF-16). */
const PIECE = 32 * 1024;

export interface DecodedSource {
  /** Text chunks, BOM removed. Throws a 400 Problem when a file judged UTF-8 turns out not to be. */
  text: AsyncGenerator<string>;
  encoding: Encoding;
  /** The first text (at least the header line when the file has one), for sniffing the delimiter. */
  head: string;
}

function firstNonAscii(buf: Buffer, from = 0): number {
  for (let i = from; i < buf.length; i++) if (buf[i] >= 0x80) return i;
  return -1;
}

function isUtf8Prefix(buf: Buffer): boolean {
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(buf, { stream: true });
    return true;
  } catch {
    return false;
  }
}

const notUtf8 = (offset: number) => Problem.badRequest(
  `Filen er ikke gyldig UTF-8 (første ugyldige byte nær byte ${offset}), selv om den begynte som UTF-8. ` +
  'Lagre den som UTF-8, eller helt som Windows-1252/ISO-8859-1; ingenting ble importert.');

/**
 * Decides the encoding from the bytes themselves: everything up to the first non-ASCII byte
 * is the same in both; at that point the bytes that follow either are valid UTF-8 (UTF-8) or not
 * (Windows-1252, a superset of ISO-8859-1 for printable text). A file judged UTF-8 that later
 * holds an invalid sequence is refused as a whole.
 */
export async function decodeSource(source: AsyncIterable<Buffer | string>): Promise<DecodedSource> {
  const it = source[Symbol.asyncIterator]();
  let pending: Buffer = Buffer.alloc(0);
  let done = false;
  let consumed = 0;
  const pull = async (): Promise<boolean> => {
    if (done) return false;
    const r = await it.next();
    if (r.done) { done = true; return false; }
    const b = typeof r.value === 'string' ? Buffer.from(r.value, 'utf8') : r.value;
    pending = pending.length ? Buffer.concat([pending, b]) : b;
    return true;
  };

  // Read until there is a non-ASCII byte with some bytes after it, or at least 64 KiB, or the end.
  let encoding: Encoding = 'utf-8';
  let bom = false;
  for (;;) {
    const i = firstNonAscii(pending);
    if (i >= 0 && (pending.length - i >= 8 || done)) {
      encoding = isUtf8Prefix(pending.subarray(i, i + 4096)) ? 'utf-8' : 'windows-1252';
      break;
    }
    if (i < 0 && pending.length >= 65536) break; // ASCII so far: decide when a non-ASCII byte comes
    if (!(await pull())) {
      const j = firstNonAscii(pending);
      if (j >= 0) encoding = isUtf8Prefix(pending.subarray(j)) ? 'utf-8' : 'windows-1252';
      break;
    }
  }
  if (pending.length >= 3 && pending[0] === 0xef && pending[1] === 0xbb && pending[2] === 0xbf) {
    encoding = 'utf-8';
    pending = pending.subarray(3);
    consumed = 3;
    bom = true;
  }
  if (pending.includes(0)) {
    throw Problem.badRequest('Filen er ikke CSV-tekst (den inneholder NUL-byte); ingenting ble importert.');
  }

  let decided = bom || encoding !== 'utf-8' || firstNonAscii(pending) >= 0;
  let utf8 = new TextDecoder('utf-8', { fatal: true });
  /** Where the read being decoded began (the report names the read, not the piece). */
  let readStart: number | undefined;
  const decode = (b: Buffer, final: boolean): string => {
    if (!decided) {
      const i = firstNonAscii(b);
      if (i < 0 && !final) { consumed += b.length; return b.toString('latin1'); }
      if (i >= 0) {
        decided = true;
        if (!isUtf8Prefix(b.subarray(i, i + 4096))) {
          encoding = 'windows-1252';
          consumed += b.length;
          return iconv.decode(b, 'win1252');
        }
      }
    }
    if (encoding === 'windows-1252') { consumed += b.length; return iconv.decode(b, 'win1252'); }
    try {
      const s = utf8.decode(b, { stream: !final });
      consumed += b.length;
      return s;
    } catch {
      utf8 = new TextDecoder('utf-8', { fatal: true });
      throw notUtf8(readStart ?? consumed);
    }
  };

  const head = decode(pending, done);
  async function* text(): AsyncGenerator<string> {
    if (head) yield head;
    while (!done) {
      const r = await it.next();
      if (r.done) { done = true; break; }
      const b = typeof r.value === 'string' ? Buffer.from(r.value, 'utf8') : r.value;
      if (b.includes(0)) throw Problem.badRequest('Filen er ikke CSV-tekst (den inneholder NUL-byte); ingenting ble importert.');
      // Decoded in pieces of at most PIECE bytes: a string of a whole 256 KB read is a large
      // object that outlives the young generation, and with it every value cut from it.
      // (A read that will decide the encoding is decoded whole, so the decision sees the same bytes.)
      readStart = consumed;
      const piece = decided || firstNonAscii(b) < 0 ? PIECE : b.length;
      for (let at = 0; at < b.length; at += piece) {
        const s = decode(b.length <= piece ? b : b.subarray(at, at + piece), false);
        if (s) yield s;
      }
    }
    readStart = undefined;
    const tail = encoding === 'utf-8' ? decode(Buffer.alloc(0), true) : '';
    if (tail) yield tail;
  }
  return { text: text(), get encoding() { return encoding; }, head };
}

/** `;`, `,` or tab: whichever occurs most on the header line outside quotes. */
export function sniffDelimiter(head: string): ';' | ',' | '\t' {
  const nl = head.search(/\r?\n/);
  const line = nl >= 0 ? head.slice(0, nl) : head;
  const counts: Record<string, number> = { ';': 0, ',': 0, '\t': 0 };
  let quoted = false;
  for (const ch of line) {
    if (ch === '"') quoted = !quoted;
    else if (!quoted && ch in counts) counts[ch]++;
  }
  if (counts[';'] >= counts[','] && counts[';'] >= counts['\t'] && counts[';'] > 0) return ';';
  if (counts['\t'] > counts[',']) return '\t';
  return ',';
}
