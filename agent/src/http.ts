import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'

/** Largest push body: 10,000 points of long names fit. */
export const MAX_BODY_BYTES = 8 * 1024 * 1024

export interface Reply {
  status: number
  body: unknown
  /** Defaults to JSON. */
  contentType?: string
}

export interface Routes {
  /** POST /v1/push with the body parsed as JSON (any content type: curl -d sends a form type). */
  push(body: unknown): Promise<Reply>
  health(): Promise<Reply>
  metrics(): Promise<Reply>
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message)
  }
}

/**
 * The agent's HTTP server on node:http alone: three routes do not justify loading a framework
 * on every host (fastify costs the agent several megabytes of memory).
 */
export async function startHttp(host: string, port: number, routes: Routes): Promise<Server> {
  const server = createServer((req, res) => {
    route(req, routes).then(
      (r) => send(res, r),
      (err: Error) =>
        send(res, { status: err instanceof HttpError ? err.status : 500, body: { error: err.message } }),
    )
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, host, () => {
      server.off('error', reject)
      resolve()
    })
  })
  return server
}

async function route(req: IncomingMessage, routes: Routes): Promise<Reply> {
  const path = (req.url ?? '/').split('?')[0]
  if (req.method === 'POST' && path === '/v1/push') return routes.push(parseJson(await readBody(req)))
  if (req.method === 'GET' && path === '/healthz') return routes.health()
  if (req.method === 'GET' && path === '/metrics') return routes.metrics()
  throw new HttpError(404, `no route ${req.method} ${path}`)
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.byteLength
    if (size > MAX_BODY_BYTES) throw new HttpError(413, `body is larger than ${MAX_BODY_BYTES} bytes`)
    chunks.push(chunk)
  }
  return Buffer.concat(chunks).toString('utf8')
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text)
  } catch {
    throw new HttpError(400, 'body is not JSON')
  }
}

function send(res: ServerResponse, r: Reply): void {
  const text = typeof r.body === 'string' ? r.body : JSON.stringify(r.body)
  // A request cut short by a too large body is answered and its connection closed, not drained.
  if (r.status === 413) res.setHeader('connection', 'close')
  res.writeHead(r.status, { 'content-type': r.contentType ?? 'application/json; charset=utf-8' }).end(text)
}

/** Closes the server: no new connections, idle ones closed, requests under way finish. */
export function closeHttp(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve())
    server.closeIdleConnections()
  })
}
