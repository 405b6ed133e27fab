import pino, { type Logger } from 'pino';

/** Never log credentials, whatever object they appear in. */
const redact = {
  paths: ['req.headers.authorization', 'req.headers.cookie', '*.apiKey', '*.password', '*.secret'],
  censor: '[redacted]',
};

export function createLogger(level: string, name = 'programme-flow'): Logger {
  return pino({ name, level, redact });
}

export type { Logger };
