import type uPlot from 'uplot'

/** The legend entry of each y series (uPlot's first legend row is the x value). */
function entries(u: uPlot): HTMLElement[] {
  const rows = u.root.querySelectorAll<HTMLElement>('.u-legend .u-series .u-label')
  return Array.from(rows).slice(rows.length - (u.series.length - 1))
}

/**
 * Makes uPlot's legend usable without a mouse: each entry is a switch (checked while its series
 * shows) that Enter or Space toggles, as a click does.
 */
export function accessibleLegend(): uPlot.Plugin {
  return {
    hooks: {
      init: (u) => {
        u.root.querySelector('.u-legend')?.setAttribute('aria-label', 'Legend')
        entries(u).forEach((el, k) => {
          const i = k + 1
          el.tabIndex = 0
          el.setAttribute('role', 'switch')
          el.setAttribute('aria-checked', String(u.series[i]!.show !== false))
          el.addEventListener('keydown', (e) => {
            if (e.key !== 'Enter' && e.key !== ' ') return
            e.preventDefault()
            u.setSeries(i, { show: !u.series[i]!.show })
          })
        })
      },
      setSeries: (u, i) => {
        if (i === null) return
        entries(u)[i - 1]?.setAttribute('aria-checked', String(u.series[i]!.show !== false))
      },
    },
  }
}
