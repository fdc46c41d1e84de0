/** The screen API's answers as the pages read them (type-only: no schema code is bundled). */
import type * as screens from '@peregrine/common/api/screens'
import type { z } from 'zod'

export type ScreenView = z.infer<typeof screens.ScreenView>
export type ScreenChartView = ScreenView['charts'][number]
export type ChartQueryView = ScreenChartView['queries'][number]
/** What POST takes (and PUT, with the revision). */
export type ScreenBody = z.input<typeof screens.ScreenCreate>
