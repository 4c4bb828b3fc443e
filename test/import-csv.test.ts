import { parse } from 'csv-parse/sync';
import { CsvReader } from '../src/members/import/csv';
import { sniffDelimiter } from '../src/members/import/decode';
import { normalisePhone } from '../src/members';
import { parsePhoneNumberFromString } from 'libphonenumber-js';

/** Every record, feeding `text` in chunks of `size` characters. */
function read(text: string, size: number, delimiter = ';'): string[][] {
  const r = new CsvReader(delimiter);
  const out: string[][] = [];
  for (let i = 0; i < text.length; i += size) out.push(...r.push(text.slice(i, i + size)));
  out.push(...r.push('', true));
  return out;
}

describe('the CSV reader', () => {
  const cases = [
    'a;b;c\r\n1;2;3\r\n',
    'a;b;c\n1;"x;y";3\n"q""uote";"multi\nline";\n',
    'a;b\n\n1;2',
    'a;b\r\n"1";"2"\r\n',
    'x;"";y\n;;\n',
    'a;b\n1;2\n\n\n3;4',
    'medlemsnummer;fornavn;etternavn\r\n1;"Hansen; jr.";Ås\r\n2;Per;"Olsen ""Pelle"""\r\n',
  ];
  test.each(cases)('reads %j as csv-parse does, however the text is split into chunks', (text) => {
    const expected = parse(text, { delimiter: ';', relax_column_count: true, skip_empty_lines: true });
    for (let size = 1; size <= text.length + 1; size++) expect(read(text, size)).toEqual(expected);
  });

  test('an unclosed quote or a stray character after a closing quote is a CSV error', () => {
    expect(() => read('a;b\n"unclosed;x\n', 4)).toThrow(expect.objectContaining({ code: 'CSV_QUOTE_NOT_CLOSED' }));
    expect(() => read('a;b\n"x"y;z\n', 4)).toThrow(expect.objectContaining({ code: 'CSV_INVALID_CLOSING_QUOTE' }));
  });

  test('the delimiter is sniffed from the header line, outside quotes', () => {
    expect(sniffDelimiter('medlemsnummer;fornavn;etternavn\n1;a,b;c')).toBe(';');
    expect(sniffDelimiter('member_number,first_name,"last;name"\n')).toBe(',');
    expect(sniffDelimiter('a\tb\tc\n')).toBe('\t');
  });
});

describe('phone numbers', () => {
  test('the fast path for Norwegian mobiles gives what libphonenumber-js gives', () => {
    for (const raw of ['+47 912 34 567', '91234567', '41234567', '0047 41234567', '+4799999999', '912 34 567', '(+47) 912-34-567']) {
      expect({ raw, e164: normalisePhone(raw) }).toEqual({ raw, e164: parsePhoneNumberFromString(raw, 'NO')!.number });
    }
    expect(normalisePhone('22 12 34 56')).toBe('+4722123456');
    expect(normalisePhone('+46 70 123 45 67')).toBe('+46701234567');
    expect(normalisePhone('12345')).toBeUndefined();
  });
});
