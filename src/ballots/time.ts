import { DateTime, Duration } from 'luxon';
import { Problem } from '../errors';

export const OSLO = 'Europe/Oslo';

const LOCAL = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2}))?$/;

/**
 * A ballot time from the API. Staff write Europe/Oslo wall-clock time ("2026-04-14T12:00");
 * a value with an explicit offset or Z ("2026-10-25T02:30+01:00") is taken as that instant.
 *
 * Daylight-saving change, defined behaviour:
 * - a wall time that does not exist (2026-03-29 02:00–02:59, clocks jump to 03:00) is refused
 *   (400 naming the field): the hub does not guess which hour was meant;
 * - a wall time that happens twice (2026-10-25 02:00–02:59, once at +02:00, then at +01:00) is
 *   refused unless the offset is given; the problem names both possible values.
 */
export function parseOsloTime(value: string, field: string): Date {
  const m = LOCAL.exec(value);
  if (!m) {
    const dt = DateTime.fromISO(value, { setZone: true });
    if (!dt.isValid || !/(Z|[+-]\d{2}:?\d{2})$/.test(value)) {
      throw Problem.badRequest('Ugyldig tidspunkt.', [{ field, message: `${field} må være norsk tid som 2026-04-14T12:00, eller et ISO 8601-tidspunkt med tidssone` }]);
    }
    return dt.toJSDate();
  }
  const [, y, mo, d, h, mi, s] = m.map(Number);
  const wall = { year: y, month: mo, day: d, hour: h, minute: mi, second: s || 0 };
  const dt = DateTime.fromObject(wall, { zone: OSLO });
  if (!dt.isValid) throw Problem.badRequest('Ugyldig tidspunkt.', [{ field, message: `${field} er ikke en gyldig dato og tid` }]);
  if (dt.hour !== h || dt.minute !== mi || dt.day !== d) {
    throw Problem.badRequest('Ugyldig tidspunkt.', [{
      field,
      message: `${field} ${value} finnes ikke i norsk tid (klokka hopper over den timen når sommertiden begynner); velg et annet tidspunkt`,
    }]);
  }
  // The same wall time one hour earlier or later in absolute time: the autumn change.
  const twins = [dt.minus({ hours: 1 }), dt.plus({ hours: 1 })].filter((o) => o.hour === h && o.minute === mi && o.day === d);
  if (twins.length) {
    const options = [dt, ...twins].sort((a, b) => a.toMillis() - b.toMillis()).map((o) => o.toISO({ suppressMilliseconds: true }));
    throw Problem.badRequest('Ugyldig tidspunkt.', [{
      field,
      message: `${field} ${value} finnes to ganger i norsk tid (klokka stilles tilbake); oppgi tidssonen: ${options.join(' eller ')}`,
    }]);
  }
  return dt.toJSDate();
}

/** An instant as Europe/Oslo ISO 8601 with its offset, e.g. 2026-04-14T12:00:00+02:00. */
export function osloIso(d: Date | null | undefined): string | null {
  if (!d) return null;
  return DateTime.fromJSDate(d).setZone(OSLO).toISO({ suppressMilliseconds: true });
}

/** Human text for messages: "14. april 2026 kl. 12:00". */
export function osloText(d: Date, language = 'nb'): string {
  const dt = DateTime.fromJSDate(d).setZone(OSLO);
  if (language === 'en') return dt.setLocale('en-GB').toFormat("d MMMM yyyy 'at' HH:mm");
  return dt.setLocale(language === 'nn' ? 'nn' : 'nb').toFormat("d. MMMM yyyy 'kl.' HH:mm");
}

export const DURATION = /^P(?!$)(\d+D)?(T(?=\d)(\d+H)?(\d+M)?)?$/;

/**
 * `closesAt` minus a calendar duration in Europe/Oslo: "P3D" before 12:00 is 12:00 three days
 * earlier on the wall clock, even across a daylight-saving change (71 or 73 hours).
 */
export function beforeClosing(closesAt: Date, offset: string): Date {
  return DateTime.fromJSDate(closesAt).setZone(OSLO).minus(Duration.fromISO(offset)).toJSDate();
}
