/** An error answer of the API: its status, message and, on a 400, the field at fault. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly field?: string,
  ) {
    super(message)
  }
}

export type Query = Record<string, string | number | boolean | undefined | readonly (string | number)[]>

/** `?a=1&tag=x&tag=y`, leaving out undefined and empty values. */
export function queryString(query: Query = {}): string {
  const params = new URLSearchParams()
  for (const [key, value] of Object.entries(query)) {
    if (value === undefined || value === '') continue
    if (Array.isArray(value)) for (const v of value) params.append(key, String(v))
    else params.set(key, String(value))
  }
  const text = params.toString()
  return text ? `?${text}` : ''
}

/**
 * The API as the signed-in user calls it: the token goes as a bearer header (never a cookie,
 * so no other site can make the browser send it). A 401 signs out.
 */
export class Api {
  constructor(
    private readonly token: string,
    private readonly onUnauthorized: () => void = () => {},
  ) {}

  get<T>(path: string, query?: Query, signal?: AbortSignal): Promise<T> {
    return this.call<T>('GET', `${path}${queryString(query)}`, undefined, signal)
  }
  /** A GET whose answer the caller decodes itself (a large one, off the main thread): its bytes. */
  getBytes(path: string, query?: Query, signal?: AbortSignal): Promise<ArrayBuffer> {
    return this.call('GET', `${path}${queryString(query)}`, undefined, signal, (res) => res.arrayBuffer())
  }
  post<T>(path: string, body?: unknown, signal?: AbortSignal): Promise<T> {
    return this.call<T>('POST', path, body ?? {}, signal)
  }
  put<T>(path: string, body: unknown): Promise<T> {
    return this.call<T>('PUT', path, body)
  }
  delete(path: string, query?: Query): Promise<void> {
    return this.call<void>('DELETE', `${path}${queryString(query)}`)
  }

  private async call<T>(
    method: string,
    url: string,
    body?: unknown,
    signal?: AbortSignal,
    read: (res: Response) => Promise<T> = (res) => res.json().catch(() => null),
  ): Promise<T> {
    const headers: Record<string, string> = { Authorization: `Bearer ${this.token}` }
    if (body !== undefined) headers['Content-Type'] = 'application/json'
    const res = await fetch(url, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      signal,
    })
    if (res.status === 204) return undefined as T
    if (!res.ok) {
      if (res.status === 401) this.onUnauthorized()
      const payload = await res.json().catch(() => null)
      const { message, field } = (payload ?? {}) as { message?: string; field?: string }
      throw new ApiError(res.status, message ?? res.statusText, field)
    }
    return read(res)
  }
}

/** A path segment: tree paths and host names may hold characters a URL treats specially. */
export const seg = (s: string) => encodeURIComponent(s)
