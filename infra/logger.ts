import pino, { type DestinationStream, type Logger } from 'pino';

/**
 * Never log credentials, whatever object they appear in: the request headers that carry them
 * (API keys, cookies, Idempotency-Keys, which replay a kept answer), and fields of these names.
 */
const redact = {
  paths: [
    'req.headers.authorization',
    'req.headers.cookie',
    'req.headers["idempotency-key"]',
    'res.headers["set-cookie"]',
    '*.apiKey',
    '*.password',
    '*.secret',
    '*.webhookSecret',
    '*.idNumber',
  ],
  censor: '[redacted]',
};

/** The process's logger; `destination` (stdout by default) lets tests read what is written. */
export function createLogger(level: string, name = 'programme-flow', destination?: DestinationStream): Logger {
  return destination ? pino({ name, level, redact }, destination) : pino({ name, level, redact });
}

export type { Logger };
