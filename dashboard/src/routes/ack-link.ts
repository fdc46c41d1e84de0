import { AckBody, type AckToken, ensureAckLinkSecret, readAckToken } from '@peregrine/common'
import type { FastifyInstance, FastifyReply } from 'fastify'
import type { ZodTypeProvider } from 'fastify-type-provider-zod'
import { z } from 'zod'
import { type AckedEvent, acknowledge, problems, standingAck } from '../acks.ts'
import type { ConfigContext } from '../config/context.ts'

const TokenParam = z.object({ token: z.string().min(1).max(1024) })

/** Why a link cannot acknowledge, as a status and a sentence for the person who clicked it. */
const REFUSALS = {
  malformed: [400, 'This is not an acknowledgement link. Was it copied whole?'],
  signature: [403, 'This link was not made by this Peregrine, or it was changed.'],
  expired: [410, 'This link has expired. Acknowledge the problem in the dashboard.'],
  unknown: [404, 'No such problem is known (yet). Try again in a moment, or use the dashboard.'],
  recovered: [
    409,
    'Nothing to acknowledge: this problem has recovered (the key is OK) since the link was sent.',
  ],
} as const

/**
 * The links in notifications, which acknowledge without an API token (the signed token is the
 * permission). Opening one (GET) only shows what it would acknowledge, with a button: mail
 * scanners and chat apps fetch the links in messages by themselves, and a fetch must not
 * acknowledge anything. The button POSTs; doing so twice changes nothing.
 */
export async function ackLinkRoutes(app: FastifyInstance, ctx: ConfigContext): Promise<void> {
  let secret: Promise<string> | undefined
  const secretOnce = () => {
    secret ??= ensureAckLinkSecret(ctx.config).catch((err) => {
      secret = undefined
      throw err
    })
    return secret
  }
  await app.register(async (link) => {
    // The page's form: a note, nothing else, so a small parser of this one type suffices.
    link.addContentTypeParser(
      'application/x-www-form-urlencoded',
      { parseAs: 'string', bodyLimit: 4096 },
      (_req, body, done) => done(null, Object.fromEntries(new URLSearchParams(body as string))),
    )
    const r = link.withTypeProvider<ZodTypeProvider>()
    const schema = {
      tags: ['events'],
      params: TokenParam,
      description:
        'No API token: the signed link is the permission. Answers an HTML page: 400 not a link, 403 not ' +
        'signed by this Peregrine, 404 no such PROBLEM stored, 409 recovered since, 410 expired. POST takes an ' +
        'optional `note` as a form or JSON.',
    }
    r.get(
      '/ack/:token',
      { schema: { ...schema, summary: 'An acknowledgement link: a page that shows what it acknowledges' } },
      async (req, reply) => {
        const target = await resolve(ctx, await secretOnce(), req.params.token)
        if ('refusal' in target) return refuse(reply, target.refusal)
        const ack = await standingAck(ctx, target.token.key)
        if (ack)
          return page(
            reply,
            200,
            'Acknowledged already',
            `${describe(target.event)}: acknowledged by ${ack.by}.`,
          )
        return page(reply, 200, 'Acknowledge this problem?', describe(target.event), true)
      },
    )
    r.post(
      '/ack/:token',
      { schema: { ...schema, body: AckBody.nullish(), summary: 'An acknowledgement link: acknowledge' } },
      async (req, reply) => {
        const target = await resolve(ctx, await secretOnce(), req.params.token)
        if ('refusal' in target) return refuse(reply, target.refusal)
        const { token, event } = target
        const by = token.by ?? 'link'
        const ack = {
          key: token.key,
          eventId: token.eventId,
          by,
          at: Date.now(),
          note: req.body?.note ?? '',
          via: 'link' as const,
        }
        const done = await acknowledge(ctx, ack, { actor: by, actorId: 'ack link' }, event.paths)
        const who = done.created ? '' : ` already, by ${done.ack.by}`
        return page(reply, 200, 'Acknowledged', `${describe(event)}: acknowledged${who}.`)
      },
    )
  })
}

type Resolved = { token: AckToken; event: AckedEvent } | { refusal: keyof typeof REFUSALS }

/** The PROBLEM a link names, if the link is good and the PROBLEM can still be acknowledged. */
async function resolve(ctx: ConfigContext, secret: string, text: string): Promise<Resolved> {
  const read = readAckToken(secret, text, Date.now())
  if (!read.ok) return { refusal: read.reason }
  const event = (await problems(ctx.store, [read.token])).get(read.token.eventId)
  if (!event) return { refusal: 'unknown' }
  return event.recovered ? { refusal: 'recovered' } : { token: read.token, event }
}

const describe = (e: AckedEvent) => `PROBLEM of ${e.metric} on ${e.endpoint}`

function refuse(reply: FastifyReply, why: keyof typeof REFUSALS): FastifyReply {
  const [status, text] = REFUSALS[why]
  return page(reply, status, 'Not acknowledged', text)
}

/** A small page; the token in the URL must not leak through a referrer or a cache. */
function page(reply: FastifyReply, status: number, title: string, text: string, form = false): FastifyReply {
  const button = form
    ? `<form method="post"><p><label>Note (optional)<br><input name="note" maxlength="1000" size="50"></label></p>
<p><button type="submit">Acknowledge</button></p></form>`
    : ''
  return reply
    .code(status)
    .headers({
      'content-type': 'text/html; charset=utf-8',
      'cache-control': 'no-store',
      'referrer-policy': 'no-referrer',
      'x-robots-tag': 'noindex',
      'content-security-policy': "default-src 'none'; form-action 'self'; frame-ancestors 'none'",
    })
    .send(
      `<!doctype html><html><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<title>Peregrine: ${html(title)}</title></head><body><h1>${html(title)}</h1><p>${html(text)}</p>${button}</body></html>\n`,
    )
}

function html(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)
}
