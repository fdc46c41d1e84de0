import {
  type ConfigOf,
  clickhouseSettings,
  commonSettings,
  loadConfig,
  num,
  setting,
} from '@peregrine/common'
import { z } from 'zod'

export const dashboardSettings = {
  ...commonSettings,
  ...clickhouseSettings,
  host: setting('DASHBOARD_HOST', z.string().default('127.0.0.1'), 'Listen address of the API and UI.'),
  port: setting('DASHBOARD_PORT', num(8080), 'Listen port of the API and UI.'),
}
export type DashboardConfig = ConfigOf<typeof dashboardSettings>

export const loadDashboardConfig = (env = process.env) => loadConfig(dashboardSettings, 'dashboard', env)
