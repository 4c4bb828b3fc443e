/**
 * What a provider event must look like before we act on it. An event that fails is skipped and
 * recorded with the reason; the rest of its batch still applies and the provider gets a 2xx (a
 * non-2xx makes SendGrid retry the whole batch for 24 hours, the good events with it).
 */

/** Deeper than this is not a SendGrid event (its deepest field is `pool: {name, id}`). */
export const MAX_EVENT_DEPTH = 4;
export const MAX_EVENT_FIELDS = 200;
/** Timestamps before this (2010-01-01) or more than a day ahead of our clock are not real events. */
export const MIN_EVENT_TIME_S = 1_262_304_000;
export const MAX_EVENT_AHEAD_S = 86_400;

/**
 * Nesting depth of a parsed JSON value, without recursion (a hostile body nested 100,000 deep must
 * not overflow the stack), stopping as soon as it passes `limit`.
 */
export function depthExceeds(value: unknown, limit: number): boolean {
  const stack: [unknown, number][] = [[value, 1]];
  while (stack.length) {
    const [v, d] = stack.pop()!;
    if (v === null || typeof v !== 'object') continue;
    if (d > limit) return true;
    for (const child of Array.isArray(v) ? v : Object.values(v)) {
      if (child !== null && typeof child === 'object') stack.push([child, d + 1]);
    }
  }
  return false;
}

const isInt = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v);
const isDigits = (v: unknown) => (typeof v === 'string' && /^\d{1,15}$/.test(v)) || (isInt(v) && v > 0);

/** Fields we read, with the type each must have when present. */
const STRING_FIELDS: [string, number][] = [
  ['event', 64], ['email', 320], ['sg_event_id', 200], ['sg_message_id', 300], ['type', 64], ['reason', 5000],
  ['status', 64], ['response', 5000], ['smtp-id', 500],
];

/** Why a SendGrid event cannot be used, or null when it can. */
export function sendgridEventProblem(ev: unknown, nowS: number): string | null {
  if (ev === null || typeof ev !== 'object' || Array.isArray(ev)) return 'not an event object';
  if (depthExceeds(ev, MAX_EVENT_DEPTH)) return `nested deeper than ${MAX_EVENT_DEPTH} levels`;
  const e = ev as Record<string, unknown>;
  if (Object.keys(e).length > MAX_EVENT_FIELDS) return `more than ${MAX_EVENT_FIELDS} fields`;
  if (typeof e.event !== 'string' || !e.event) return 'event: missing or not a string';
  for (const [k, max] of STRING_FIELDS) {
    if (e[k] === undefined || e[k] === null) continue;
    if (typeof e[k] !== 'string') return `${k}: not a string`;
    if ((e[k] as string).length > max) return `${k}: longer than ${max} characters`;
  }
  if (!isInt(e.timestamp)) return 'timestamp: missing or not an integer';
  if (e.timestamp < MIN_EVENT_TIME_S || e.timestamp > nowS + MAX_EVENT_AHEAD_S) return 'timestamp: out of range';
  for (const k of ['send_log_id', 'campaign_id']) {
    if (e[k] !== undefined && e[k] !== null && !isDigits(e[k])) return `${k}: not a positive integer`;
  }
  if (e.category !== undefined && typeof e.category !== 'string' && !(Array.isArray(e.category) && e.category.every((c) => typeof c === 'string'))) {
    return 'category: not a string or a list of strings';
  }
  return null;
}

/** Why Twilio form parameters cannot be used (a repeated key arrives as a list), or null. */
export function twilioParamsProblem(p: unknown, required: string[]): string | null {
  if (p === null || typeof p !== 'object' || Array.isArray(p)) return 'no form parameters';
  const params = p as Record<string, unknown>;
  for (const [k, v] of Object.entries(params)) if (typeof v !== 'string') return `${k}: not a single value`;
  for (const k of required) if (!params[k]) return `${k}: missing`;
  return null;
}
