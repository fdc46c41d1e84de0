/** What `within` gives for a promise that took longer. */
export const TIMED_OUT: unique symbol = Symbol('timed out')

/** `p`'s value, or TIMED_OUT once `ms` have passed; a rejection within the time is passed on. */
export async function within<T>(p: Promise<T>, ms: number): Promise<T | typeof TIMED_OUT> {
  let timer: NodeJS.Timeout | undefined
  const late = new Promise<typeof TIMED_OUT>((resolve) => {
    timer = setTimeout(() => resolve(TIMED_OUT), ms)
  })
  try {
    return await Promise.race([p, late])
  } finally {
    clearTimeout(timer)
  }
}

/** Whether `p` settles (either way) within `ms`. */
export async function settlesWithin(p: Promise<unknown>, ms: number): Promise<boolean> {
  const settled = p.then(
    () => true,
    () => true,
  )
  return (await within(settled, ms)) !== TIMED_OUT
}
