import {
  type ConfigOf,
  clickhouseSettings,
  commonSettings,
  loadConfig,
  num,
  outboundSettings,
  setting,
} from '@peregrine/common'
import { z } from 'zod'
import { hasFullEntropy, parseToken, TOKEN_TEXT } from './tokens.ts'

export const dashboardSettings = {
  ...commonSettings,
  ...clickhouseSettings,
  host: setting('DASHBOARD_HOST', z.string().default('127.0.0.1'), 'Listen address of the API.'),
  port: setting('DASHBOARD_PORT', num(8080), 'Listen port of the API.'),
  adminToken: setting(
    'PEREGRINE_ADMIN_TOKEN',
    z
      .union([
        z.literal(''),
        z
          .string()
          .regex(TOKEN_TEXT, 'pgt_<12 hex>_<64 hex>')
          .refine(
            (t) => hasFullEntropy(parseToken(t)?.secret ?? ''),
            'the secret part is not random enough; make one with: echo pgt_$(openssl rand -hex 6)_$(openssl rand -hex 32)',
          ),
      ])
      .default(''),
    'The first admin token, used only when no token exists yet; empty: one is generated and printed once.',
  ),
  uiDir: setting(
    'DASHBOARD_UI_DIR',
    z.string().default(''),
    'Folder of the built web UI served at /; empty: the one `npm run build:ui` builds (dashboard/ui/dist).',
  ),
  ...outboundSettings,
}
export type DashboardConfig = ConfigOf<typeof dashboardSettings>

export const loadDashboardConfig = (env = process.env) => loadConfig(dashboardSettings, 'dashboard', env)
