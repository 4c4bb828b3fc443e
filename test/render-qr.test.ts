import QRCode from 'qrcode';
import jsQR from 'jsqr';
import { qrSymbol } from '../src/render';

const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
function codes(count: number, seed0: number): string[] {
  let seed = seed0;
  const next = () => (seed = (seed * 1103515245 + 12345) % 2147483648);
  return Array.from({ length: count }, () => Array.from({ length: 12 }, () => ALPHABET[next() % 32]).join(''));
}

/** The module matrix drawn as pixels (4 light modules of quiet zone, 6 pixels a module) for jsQR. */
function decode(size: number, data: Uint8Array): string | null {
  const scale = 6;
  const side = (size + 8) * scale;
  const img = new Uint8ClampedArray(side * side * 4).fill(255);
  for (let r = 0; r < size; r++) {
    for (let c = 0; c < size; c++) {
      if (!data[r * size + c]) continue;
      for (let dy = 0; dy < scale; dy++) {
        for (let dx = 0; dx < scale; dx++) {
          const i = (((r + 4) * scale + dy) * side + (c + 4) * scale + dx) * 4;
          img[i] = img[i + 1] = img[i + 2] = 0;
        }
      }
    }
  }
  return jsQR(img, side, side)?.data ?? null;
}

// Texts of version 1 (a code alone), 2, 3 (the bench's URL, the tests' URL) and 4–5 (qrcode's own path) at level M.
const BASES = ['', 'HTTP://A.NO', 'http://a.no', 'https://medlem.budstikke.no', 'http://127.0.0.1:3999', 'https://medlemmer.et-langt-forbundsnavn.example.no'];

describe('the QR symbol on a letter', () => {
  test('is the symbol qrcode itself makes (segments, version, the mask of lowest penalty, modules) for symbols of every version up to 3 and every mask, and qrcode\'s own above', () => {
    const versions = new Set<number>();
    const masks = new Map<number, Set<number>>();
    for (const base of BASES) {
      for (const code of codes(1000, base.length)) {
        const url = base ? `${base}/p/${code}` : code;
        const ours = qrSymbol(url);
        const theirs = QRCode.create(url, { errorCorrectionLevel: 'M' });
        const same = ours.version === theirs.version && ours.maskPattern === theirs.maskPattern
          && Buffer.compare(Buffer.from(ours.modules.data), Buffer.from(theirs.modules.data)) === 0;
        if (!same) expect({ url, version: ours.version, mask: ours.maskPattern }).toEqual({ url, version: theirs.version, mask: theirs.maskPattern });
        versions.add(theirs.version);
        if (!masks.has(theirs.version)) masks.set(theirs.version, new Set());
        masks.get(theirs.version)!.add(theirs.maskPattern!);
      }
    }
    expect([1, 2, 3].every((v) => versions.has(v)) && [...versions].some((v) => v >= 4)).toBe(true);
    // every mask won somewhere among the symbols that go our way (versions 1 to 3)
    const won = new Set([1, 2, 3].flatMap((v) => [...masks.get(v)!]));
    expect([...won].sort()).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
  });

  test('decodes to its URL with a decoder that knows nothing of how it was made (jsQR), whichever mask it has', () => {
    const seen = new Set<string>();
    for (const base of BASES) {
      for (const code of codes(400, 7 + base.length)) {
        const url = base ? `${base}/p/${code}` : code;
        const q = qrSymbol(url);
        const key = `${q.version}/${q.maskPattern}`;
        if (seen.has(key)) continue; // one per version and mask: jsQR is slow
        seen.add(key);
        expect({ key, text: decode(q.modules.size, q.modules.data) }).toEqual({ key, text: url });
      }
    }
    expect(seen.size).toBeGreaterThanOrEqual(20);
  });
});
