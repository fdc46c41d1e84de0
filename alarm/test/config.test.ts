import { ConfigError } from '@peregrine/common/config'
import { describe, expect, it } from 'vitest'
import { channelConfig } from './helpers.ts'

describe('channel settings', () => {
  it('have working defaults: no email or SMS until their server is given', () => {
    const c = channelConfig()
    expect(c).toMatchObject({ smtpUrl: '', smsUrl: '', callbackStyle: 'post', smsHeaders: {}, rateLimit: 20 })
  })

  it('read SMS headers as JSON from the environment', () => {
    expect(channelConfig({ ALARM_SMS_HEADERS: '{"Authorization":"Bearer x"}' }).smsHeaders).toEqual({
      Authorization: 'Bearer x',
    })
  })

  it('name the variable of each bad value', () => {
    const bad = () =>
      channelConfig({
        ALARM_SMTP_URL: 'http://mail.example.com',
        ALARM_SMS_HEADERS: '{not json',
        ALARM_CALLBACK_STYLE: 'get',
        ALARM_MAX_ATTEMPTS: '0',
      })
    expect(bad).toThrow(ConfigError)
    for (const name of ['ALARM_SMTP_URL', 'ALARM_SMS_HEADERS', 'ALARM_CALLBACK_STYLE', 'ALARM_MAX_ATTEMPTS'])
      expect(bad).toThrow(name)
  })
})
