import { type NotificationChannel, NotificationsQuery, NotificationsResponse } from '@peregrine/common'
import type { FastifyInstance } from 'fastify'
import type { ZodTypeProvider } from 'fastify-type-provider-zod'
import { isGlobalAdmin } from '../auth.ts'
import { type ConfigContext, principalOf, visibilityOf } from '../config/context.ts'
import { queryNotifications } from '../notification-queries.ts'
import { responses } from './responses.ts'

/**
 * The alarm's record of every attempt. A scoped token reads the records about hosts bound within
 * its scope (by the tree paths the record carries); naming a host outside is a 403. Where a
 * notification went is a contact detail: only those who may read users' contacts see it whole.
 */
export function notificationRoutes(app: FastifyInstance, ctx: ConfigContext): void {
  app.withTypeProvider<ZodTypeProvider>().get(
    '/api/v1/notifications',
    {
      schema: {
        tags: ['notifications'],
        summary: 'Search the notification attempts, newest first',
        querystring: NotificationsQuery,
        response: responses(200, NotificationsResponse, [400, 403]),
      },
    },
    async (req) => {
      const p = principalOf(req)
      if (req.query.host !== undefined) await visibilityOf(req).requireEndpoint(req.query.host)
      const records = await queryNotifications(ctx.store, { ...req.query, scope: p.scope })
      if (isGlobalAdmin(p)) return { records }
      return { records: records.map((r) => ({ ...r, address: maskAddress(r.channel, r.address) })) }
    },
  )
}

/** Enough of an address to tell which one it was, not enough to reach it. */
function maskAddress(channel: NotificationChannel, address: string): string {
  switch (channel) {
    // The strategies API shows a strategy's callback URL to whoever may read this record.
    case 'callback':
      return address
    case 'email': {
      const at = address.lastIndexOf('@')
      return at > 0 ? `${address[0]}…${address.slice(at)}` : '…'
    }
    case 'sms': {
      const digits = address.replace(/\D/g, '')
      return digits.length > 6 ? `…${digits.slice(-4)}` : '…'
    }
    // Webhooks (IM robots above all) carry their secret in the path or the query.
    default:
      return URL.canParse(address) ? `${new URL(address).origin}/…` : '…'
  }
}
