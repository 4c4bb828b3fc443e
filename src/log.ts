import pino, { Logger } from 'pino';

export type { Logger };

/**
 * The one logger. Logs carry member ids, never names, emails, phone numbers or addresses:
 * the redact list is a safety net for a careless `log.info({ member })`, not a licence.
 */
export function createLogger(level: string, name = 'budstikke'): Logger {
  return pino({
    name,
    level,
    redact: {
      paths: ['*.email', '*.phone', '*.firstName', '*.lastName', '*.first_name', '*.last_name', '*.street', '*.address',
        'email', 'phone', 'first_name', 'last_name', 'street', 'address', 'req.headers.authorization', 'req.headers.cookie'],
      censor: '[redacted]',
    },
  });
}
