import QRCode from 'qrcode';

/**
 * The QR symbol of a letter's preference URL, exactly as `QRCode.create(text, { errorCorrectionLevel:
 * 'M' })` makes it: the same segments, version, mask and modules (test/render-letters.test.ts
 * compares them for thousands of URLs and every mask). Two things qrcode does per symbol are done
 * more cheaply here:
 *
 * - Segments: qrcode runs a shortest-path optimiser over every split into numeric / alphanumeric /
 *   byte segments. Its choice depends only on which class each character is in, so it is computed
 *   once per pattern of classes (our URLs differ only in the 12-character code: at most 2^12
 *   patterns) and replayed as explicit segments.
 * - The mask choice. The standard (ISO/IEC 18004 §7.8.3) has the encoder try all eight masks and
 *   keep the one with the lowest penalty (N1 runs, N2 2×2 blocks, N3 finder-like patterns, N4 dark
 *   balance). qrcode does that module by module through `BitMatrix.get`, eight times over: ~80 %
 *   of making a symbol. Here the symbol is made once with mask 0; its data modules are unmasked;
 *   each of the eight candidates (the function patterns and format information qrcode writes for
 *   that mask, the data XOR the mask) is held as one integer per row and per column, and the same
 *   four penalties, with qrcode's exact rules and tie-break (the lowest mask number wins), are
 *   counted on whole rows at once with bit operations. The winner's modules replace mask 0's.
 *   Symbols of up to 31 modules a side (versions 1–3; the bench's and a typical union's URL is
 *   version 3) go this way; larger ones, and text outside ASCII, go to `QRCode.create` as they are.
 */
type Seg = { mode: 'numeric' | 'alphanumeric' | 'byte'; length: number };
const segmentsByPattern = new Map<string, Seg[]>();
const ALPHANUMERIC = /^[0-9A-Z $%*+\-./:]$/;
const OPTS = { errorCorrectionLevel: 'M' } as const;

/** Per symbol size: which modules are reserved, the reserved modules' values under each mask, and each mask's bits (data modules only); as rows and as columns. */
interface Layout {
  n: number;
  resRows: Int32Array; resCols: Int32Array;
  fnRows: Int32Array[]; fnCols: Int32Array[];
  maskRows: Int32Array[]; maskCols: Int32Array[];
}
const layouts = new Map<number, Layout>();

/** The standard's eight data masks (module at row i, column j is flipped when true), as qrcode applies them. */
const MASKS: ((i: number, j: number) => boolean)[] = [
  (i, j) => (i + j) % 2 === 0,
  (i) => i % 2 === 0,
  (_i, j) => j % 3 === 0,
  (i, j) => (i + j) % 3 === 0,
  (i, j) => (Math.floor(i / 2) + Math.floor(j / 3)) % 2 === 0,
  (i, j) => (i * j) % 2 + (i * j) % 3 === 0,
  (i, j) => ((i * j) % 2 + (i * j) % 3) % 2 === 0,
  (i, j) => ((i * j) % 3 + (i + j) % 2) % 2 === 0,
];

function rowsOf(n: number, bit: (i: number, j: number) => number): { rows: Int32Array; cols: Int32Array } {
  const rows = new Int32Array(n);
  const cols = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      if (!bit(i, j)) continue;
      rows[i] |= 1 << j;
      cols[j] |= 1 << i;
    }
  }
  return { rows, cols };
}

function layoutFor(segments: QRCode.QRCodeSegment[], base: QRCode.QRCode): Layout {
  const n = base.modules.size;
  let l = layouts.get(n);
  if (l) return l;
  const res = base.modules.reservedBit;
  const reserved = rowsOf(n, (i, j) => res[i * n + j]);
  const fnRows: Int32Array[] = [];
  const fnCols: Int32Array[] = [];
  const maskRows: Int32Array[] = [];
  const maskCols: Int32Array[] = [];
  for (let p = 0; p < 8; p++) {
    // the function patterns and the format information for mask p, as qrcode writes them
    const d = QRCode.create(segments, { ...OPTS, maskPattern: p as QRCode.QRCodeMaskPattern }).modules.data;
    const fn = rowsOf(n, (i, j) => (res[i * n + j] ? d[i * n + j] : 0));
    fnRows.push(fn.rows);
    fnCols.push(fn.cols);
    const m = rowsOf(n, (i, j) => (!res[i * n + j] && MASKS[p](i, j) ? 1 : 0));
    maskRows.push(m.rows);
    maskCols.push(m.cols);
  }
  l = { n, resRows: reserved.rows, resCols: reserved.cols, fnRows, fnCols, maskRows, maskCols };
  layouts.set(n, l);
  return l;
}

function popcount(x: number): number {
  x -= (x >>> 1) & 0x55555555;
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
  return (((x + (x >>> 4)) & 0x0f0f0f0f) * 0x01010101) >>> 24;
}

/** N1 (runs of k ≥ 5 like modules score k − 2) and N3 (1:1:3:1:1 with four light modules on one side, inside the symbol; 40 each) of one row or column. */
function lineN1N3(x: number, n: number): number {
  const pairs = (1 << (n - 1)) - 1;
  const same = ~(x ^ (x >>> 1)) & pairs; // bit c: module c equals module c + 1
  const five = same & (same >>> 1) & (same >>> 2) & (same >>> 3); // bit c: modules c … c + 4 alike
  let points = popcount(five) + 2 * popcount(five & ~(five << 1));
  // qrcode's 11-module windows 10111010000 and 00001011101 (the pattern 1011101 with four light
  // modules after it, or before it), each window wholly inside the line; bit s: a window starts at s
  const core = x & ~(x >>> 1) & (x >>> 2) & (x >>> 3) & (x >>> 4) & ~(x >>> 5) & (x >>> 6);
  const light4 = ~(x | (x >>> 1) | (x >>> 2) | (x >>> 3));
  const starts = (1 << (n - 10)) - 1;
  points += 40 * (popcount(core & (light4 >>> 7) & starts) + popcount(light4 & (core >>> 4) & starts));
  return points;
}

function penalty(rows: Int32Array, cols: Int32Array, n: number): number {
  let points = 0;
  let dark = 0;
  const pairs = (1 << (n - 1)) - 1;
  for (let i = 0; i < n; i++) {
    const r = rows[i];
    points += lineN1N3(r, n) + lineN1N3(cols[i], n);
    dark += popcount(r);
    if (i + 1 < n) {
      // N2: 2×2 blocks of one colour, 3 each
      const v = ~(r ^ rows[i + 1]);
      const h = ~(r ^ (r >>> 1));
      points += 3 * popcount(v & (v >>> 1) & h & pairs);
    }
  }
  // N4, with qrcode's rounding
  return points + 10 * Math.abs(Math.ceil((dark * 100) / (n * n) / 5) - 10);
}

const rowsBuf = new Int32Array(31);
const colsBuf = new Int32Array(31);
const dataRows = new Int32Array(31);
const dataCols = new Int32Array(31);

function withBestMask(segments: QRCode.QRCodeSegment[]): QRCode.QRCode {
  const q = QRCode.create(segments, { ...OPTS, maskPattern: 0 });
  const n = q.modules.size;
  if (n > 31) return QRCode.create(segments, OPTS);
  const l = layoutFor(segments, q);
  const d = q.modules.data;
  // the data modules unmasked (mask 0 taken off again), by row and by column
  dataCols.fill(0);
  for (let i = 0; i < n; i++) {
    const at = i * n;
    let row = 0;
    for (let j = 0; j < n; j++) {
      const bit = d[at + j];
      row |= bit << j;
      dataCols[j] |= bit << i;
    }
    dataRows[i] = row;
  }
  for (let i = 0; i < n; i++) {
    dataRows[i] = (dataRows[i] ^ l.maskRows[0][i]) & ~l.resRows[i];
    dataCols[i] = (dataCols[i] ^ l.maskCols[0][i]) & ~l.resCols[i];
  }
  let best = 0;
  let lowest = Infinity;
  for (let p = 0; p < 8; p++) {
    const fr = l.fnRows[p], fc = l.fnCols[p], mr = l.maskRows[p], mc = l.maskCols[p];
    for (let i = 0; i < n; i++) {
      rowsBuf[i] = fr[i] | (dataRows[i] ^ mr[i]);
      colsBuf[i] = fc[i] | (dataCols[i] ^ mc[i]);
    }
    const points = penalty(rowsBuf, colsBuf, n);
    if (points < lowest) { lowest = points; best = p; }
  }
  if (best !== 0) {
    const fr = l.fnRows[best], mr = l.maskRows[best];
    for (let i = 0; i < n; i++) {
      const row = fr[i] | (dataRows[i] ^ mr[i]);
      const at = i * n;
      for (let j = 0; j < n; j++) d[at + j] = (row >>> j) & 1;
    }
    q.maskPattern = best as QRCode.QRCodeMaskPattern;
  }
  return q;
}

export function qrSymbol(text: string): QRCode.QRCode {
  // eslint-disable-next-line no-control-regex
  if (!/^[\x00-\x7f]*$/.test(text)) return QRCode.create(text, OPTS);
  let pattern = '';
  for (let k = 0; k < text.length; k++) {
    const ch = text[k];
    pattern += ch >= '0' && ch <= '9' ? 'N' : ALPHANUMERIC.test(ch) ? 'A' : 'B';
  }
  const known = segmentsByPattern.get(pattern);
  if (!known) {
    const q = QRCode.create(text, OPTS);
    if (segmentsByPattern.size > 10_000) segmentsByPattern.clear();
    segmentsByPattern.set(pattern, q.segments.map((seg) => ({ mode: seg.mode.id.toLowerCase() as Seg['mode'], length: seg.getLength() })));
    return q;
  }
  let at = 0;
  const segments = known.map(({ mode, length }) => ({ mode, data: text.slice(at, (at += length)) })) as QRCode.QRCodeSegment[];
  return withBestMask(segments);
}
