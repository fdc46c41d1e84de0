import {
  type ConfigOf,
  commonSettings,
  instanceName,
  instanceSetting,
  loadConfig,
  num,
  opsSettings,
  posNum,
  setting,
  text,
} from '@peregrine/common/config'
import { outboundSettings } from '@peregrine/common/outbound'
import { z } from 'zod'

const HttpUrl = z.url({ protocol: /^https?$/ })
/** Empty: the channel is not set up, and a notification for it is dead at once, saying which setting is missing. */
const optional = <T extends z.ZodType<string>>(schema: T) => z.union([z.literal(''), schema]).default('')

/** HTTP headers as a JSON object of strings (`{"Authorization":"Bearer …"}`), from a file's map or the environment's text. */
const Headers = z
  .union([
    z.record(z.string(), z.string()),
    z.string().transform((s, ctx) => {
      if (s.trim() === '') return {}
      try {
        return JSON.parse(s) as unknown
      } catch {
        ctx.addIssue({ code: 'custom', message: 'a JSON object of header names and values' })
        return z.NEVER
      }
    }),
  ])
  .pipe(z.record(z.string().regex(/^[A-Za-z0-9-]+$/, 'a header name'), z.string()))
  .default({})

/** How the alarm reaches people and machines: channel settings, delivery limits and retries. */
export const channelSettings = {
  dashboardUrl: setting(
    'ALARM_DASHBOARD_URL',
    HttpUrl.default('http://127.0.0.1:8080'),
    'Base URL of the dashboard as people reach it, for the links in messages (`<url>/events?key=…`).',
  ),
  smtpUrl: setting(
    'ALARM_SMTP_URL',
    optional(z.url({ protocol: /^smtps?$/ })),
    'SMTP server for email, e.g. `smtp://user:pass@mail.example.com:587` (STARTTLS when offered) or `smtps://…:465`. Empty: no email.',
  ),
  smtpFrom: setting(
    'ALARM_SMTP_FROM',
    z.string().default('Peregrine <peregrine@localhost>'),
    'From of alarm emails.',
  ),
  webhookSecret: setting(
    'ALARM_WEBHOOK_SECRET',
    text(''),
    'Key of the HMAC-SHA256 signature (`X-Peregrine-Signature`) on webhook and callback requests. Empty: they go unsigned — set it.',
  ),
  feishuSecret: setting(
    'ALARM_FEISHU_SECRET',
    text(''),
    'Signing secret of Feishu/Lark robots that have signature verification on; a `#secret=…` at the end of a robot URL takes precedence.',
  ),
  dingtalkSecret: setting(
    'ALARM_DINGTALK_SECRET',
    text(''),
    'Signing secret (SEC…) of DingTalk robots that have signing on; a `#secret=…` at the end of a robot URL takes precedence.',
  ),
  smsUrl: setting(
    'ALARM_SMS_URL',
    optional(HttpUrl),
    'HTTP SMS gateway; `{phone}` and `{text}` in it are replaced (URL-encoded). Empty: no SMS.',
  ),
  smsMethod: setting(
    'ALARM_SMS_METHOD',
    z.enum(['POST', 'PUT', 'GET']).default('POST'),
    'HTTP method of the SMS gateway.',
  ),
  smsBody: setting(
    'ALARM_SMS_BODY',
    z.string().max(4096).default('{"phone":"{phone}","text":"{text}"}'),
    'Body template of SMS requests (not GET): `{phone}` and `{text}` are replaced, escaped for the content type.',
  ),
  smsContentType: setting(
    'ALARM_SMS_CONTENT_TYPE',
    z.string().default('application/json'),
    'Content-Type of SMS requests: JSON and form bodies get their values escaped accordingly.',
  ),
  smsHeaders: setting(
    'ALARM_SMS_HEADERS',
    Headers,
    'Extra headers of SMS requests, as JSON, e.g. `{"Authorization":"Bearer …"}`.',
  ),
  callbackStyle: setting(
    'ALARM_CALLBACK_STYLE',
    z.enum(['post', 'falcon-get']).default('post'),
    "How strategies' callback URLs are called: `post`, a JSON body of the event; `falcon-get`, Open-Falcon's GET with query parameters.",
  ),
  sendTimeoutMs: setting(
    'ALARM_SEND_TIMEOUT_MS',
    posNum(10_000),
    'Longest one attempt may take (an HTTP request, each step of an SMTP session) before it counts as failed and is retried.',
  ),
  maxBodyBytes: setting(
    'ALARM_MAX_BODY_BYTES',
    posNum(1024 * 1024),
    'Largest webhook or callback body; a merged notification lists fewer events (and says how many it left out) to fit.',
  ),
  concurrency: setting('ALARM_CONCURRENCY', posNum(8), 'Sends in flight at once per channel type.'),
  rateLimit: setting(
    'ALARM_RATE_LIMIT',
    num(20),
    'Most messages to one address (mailbox, phone, robot, URL) over one channel within ALARM_RATE_WINDOW_MS; more wait their turn, none is dropped. 0: no limit.',
  ),
  rateWindowMs: setting(
    'ALARM_RATE_WINDOW_MS',
    posNum(60_000),
    'The window of ALARM_RATE_LIMIT (a sliding one).',
  ),
  maxAttempts: setting(
    'ALARM_MAX_ATTEMPTS',
    posNum(10),
    'Attempts of a notification before it is given up (dead) when failures are transient; with the default backoff, ten span two to four minutes.',
  ),
  retryBaseMs: setting(
    'ALARM_RETRY_BASE_MS',
    posNum(1000),
    'Wait before the first retry; doubled for each further one (with jitter), up to ALARM_RETRY_MAX_MS.',
  ),
  retryMaxMs: setting('ALARM_RETRY_MAX_MS', posNum(60_000), 'Longest wait between two attempts.'),
  queueLimit: setting(
    'ALARM_QUEUE_LIMIT',
    posNum(10_000),
    'Notifications held at once (waiting, retrying or in flight); over it a new one is refused and its event stays unacknowledged.',
  ),
  stopTimeoutMs: setting(
    'ALARM_STOP_TIMEOUT_MS',
    posNum(10_000),
    'On stop, how long sends in flight may finish before they are abandoned (their events are redelivered).',
  ),
}
export type ChannelConfig = ConfigOf<typeof channelSettings>

/** Everything the alarm service reads: common and outbound settings, channels, and the pipeline's. */
export const alarmSettings = {
  ...commonSettings,
  ...outboundSettings,
  ...channelSettings,
  instance: instanceSetting('ALARM_INSTANCE', 'alarm instance'),
  immediateUpTo: setting(
    'ALARM_IMMEDIATE_PRIORITIES',
    z.coerce.number().int().min(-1).max(6).default(2),
    'Priorities up to this one (P0 is the highest) go out at once on every channel; lower ones are merged (-1: merge all).',
  ),
  mergeWindowSeconds: setting(
    'ALARM_MERGE_WINDOW_SECONDS',
    posNum(60),
    'Low-priority events of one receiver, priority, status and metric within this window (of event time) become one message.',
  ),
  mergeGraceMs: setting(
    'ALARM_MERGE_GRACE_MS',
    num(2000),
    'How long after its window a merge group waits for events still on their way.',
  ),
  maxInFlight: setting(
    'ALARM_MAX_IN_FLIGHT',
    posNum(20_000),
    'Events in hand at once, merged groups waiting included (more wait on the stream).',
  ),
  ackWaitMs: setting(
    'ALARM_ACK_WAIT_MS',
    posNum(30_000),
    'How long an event taken by an instance that died waits before another instance gets it.',
  ),
  claimStaleMs: setting(
    'ALARM_CLAIM_STALE_MS',
    posNum(120_000),
    'A notification claimed this long ago and not finished is sent again by another instance (its sender died mid-send): longer than any send with its retries.',
  ),
  claimKeepHours: setting(
    'ALARM_CLAIM_KEEP_HOURS',
    posNum(168),
    'How long a sent notification is remembered, so that its event redelivered meanwhile does not send it again.',
  ),
  escalationCheckMs: setting(
    'ALARM_ESCALATION_CHECK_MS',
    posNum(10_000),
    'Between walks of the unacknowledged PROBLEMs for escalation steps that fell due.',
  ),
  ackLinkHours: setting(
    'ALARM_ACK_LINK_HOURS',
    posNum(72),
    'How long the acknowledgement link in a message works.',
  ),
  ...opsSettings('ALARM', 8094),
}
export type AlarmConfig = ConfigOf<typeof alarmSettings>

export function loadAlarmConfig(env = process.env): AlarmConfig {
  const c = loadConfig(alarmSettings, 'alarm', env)
  return { ...c, instance: instanceName(c.instance) }
}
