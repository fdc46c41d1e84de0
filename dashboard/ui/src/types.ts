/**
 * The API's answers as the UI reads them: types inferred from the zod schemas that validate and
 * serialize them on the server (type-only imports, so no schema code is bundled by this file).
 */
import type * as config from '@peregrine/common/api/config'
import type * as events from '@peregrine/common/api/events'
import type * as monitor from '@peregrine/common/api/monitor'
import type { z } from 'zod'

export type TreeNodeView = z.infer<typeof config.NodeView>
export type BoundHost = z.infer<typeof config.HostView>
export type UnassignedHost = z.infer<typeof config.UnassignedHostsResponse>['hosts'][number]
export type StrategyView = z.infer<typeof config.StrategyView>
export type AlertEvent = z.infer<typeof events.EventEntry>
export type FiringEvent = z.infer<typeof events.FiringEntry>
export type HistoryResponse = z.infer<typeof monitor.HistoryResponse>
export type HistorySeries = HistoryResponse['series'][number]
export type SeriesInfo = z.infer<typeof monitor.SeriesResponse>['series'][number]
export type EndpointInfo = z.infer<typeof monitor.EndpointsResponse>['endpoints'][number]
