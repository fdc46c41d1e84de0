/**
 * happy-dom has no canvas: a 2D context and Path2D that accept every call and draw nothing, so
 * uPlot runs (scales, legend, hooks) in component tests. What is on the canvas is for the browser
 * tests to check.
 */
export function installFakeCanvas(): void {
  const noop = () => {}
  const state: Record<PropertyKey, unknown> = {}
  const ctx = new Proxy(state, {
    get: (t, k) => (k in t ? t[k] : k === 'measureText' ? () => ({ width: 8 }) : noop),
    set: (t, k, v) => {
      t[k] = v
      return true
    },
  })
  HTMLCanvasElement.prototype.getContext = (() => ctx) as unknown as HTMLCanvasElement['getContext']
  globalThis.Path2D = class {
    moveTo = noop
    lineTo = noop
    rect = noop
    arc = noop
    closePath = noop
    bezierCurveTo = noop
    addPath = noop
  } as unknown as typeof Path2D
}
