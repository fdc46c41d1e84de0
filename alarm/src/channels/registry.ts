import type { OutboundPolicy } from '@peregrine/common/outbound'
import type { ChannelConfig } from '../config.ts'
import { callbackChannel } from './callback.ts'
import { emailChannel } from './email.ts'
import { imChannel } from './im.ts'
import { smsChannel } from './sms.ts'
import type { Channel, ChannelType } from './types.ts'
import { webhookChannel } from './webhook.ts'

/** The setting a channel type cannot go without; a type missing from the registry lacks it. */
export const CHANNEL_NEEDS: Partial<Record<ChannelType, keyof ChannelConfig>> = {
  email: 'smtpUrl',
  sms: 'smsUrl',
}

/**
 * Every channel the settings allow, by type. `policy` is where user-written URLs may point
 * (OUTBOUND_ALLOW_NETS), checked again before each request.
 */
export function createChannels(c: ChannelConfig, policy: OutboundPolicy): Map<ChannelType, Channel> {
  const http = { policy, maxBodyBytes: c.maxBodyBytes }
  const channels = new Map<ChannelType, Channel>([
    ['webhook', webhookChannel({ ...http, secret: c.webhookSecret })],
    ['slack', imChannel('slack', { ...http, secret: '' })],
    ['feishu', imChannel('feishu', { ...http, secret: c.feishuSecret })],
    ['dingtalk', imChannel('dingtalk', { ...http, secret: c.dingtalkSecret })],
    ['wecom', imChannel('wecom', { ...http, secret: '' })],
    ['callback', callbackChannel({ ...http, style: c.callbackStyle, secret: c.webhookSecret })],
  ])
  if (c.smtpUrl) channels.set('email', emailChannel(c))
  if (c.smsUrl) channels.set('sms', smsChannel({ ...http, ...c }))
  return channels
}
