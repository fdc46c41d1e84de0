import { type Logger, pino } from 'pino'

export type { Logger }

/** Structured JSON logs; secrets are redacted by key wherever they appear in a logged object. */
export function createLogger(service: string, level = 'info'): Logger {
  return pino({
    name: service,
    level,
    redact: {
      paths: [
        '*.token',
        '*.password',
        '*.authorization',
        'token',
        'password',
        'clickhouseUrl',
        '*.clickhouseUrl',
        'natsPassword',
        '*.natsPassword',
        'natsUrl',
        '*.natsUrl',
      ],
      censor: '[redacted]',
    },
  })
}
