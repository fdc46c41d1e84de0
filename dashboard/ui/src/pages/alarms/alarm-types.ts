/** API answers of the alarm pages, inferred from their zod schemas (type-only: nothing is bundled). */
import type * as notifications from '@peregrine/common/api/notifications'
import type * as silences from '@peregrine/common/api/silences'
import type { z } from 'zod'

export type SilenceView = z.infer<typeof silences.SilenceView>
export type NotificationEntry = z.infer<typeof notifications.NotificationEntry>
