import { existsSync } from 'node:fs'
import { dirname, join, posix } from 'node:path'
import { fileURLToPath } from 'node:url'
import fastifyStatic from '@fastify/static'
import type { FastifyInstance, FastifyReply } from 'fastify'

/** Where `npm run build:ui` (and the bootstrap) put the built UI. */
export const BUILT_UI_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', 'ui', 'dist')

/**
 * The browser UI at `/`, same origin as the API. The page holds an API token, so it gets the
 * strictest headers it works with: scripts and styles from this origin only (Vite emits no inline
 * script), no framing (clickjacking), no referrer, no MIME sniffing.
 */
const SECURITY_HEADERS = {
  'Content-Security-Policy':
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'; object-src 'none'",
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
  'Referrer-Policy': 'no-referrer',
}

function secure(reply: FastifyReply): FastifyReply {
  return reply.headers(SECURITY_HEADERS)
}

/**
 * Serves the UI from `dir`: hashed assets cached for good, `index.html` never cached (it names
 * the assets of the current build), and every other GET that is no API route answered with
 * `index.html`, so a shared link to a client-side route opens the app.
 */
export async function uiRoutes(app: FastifyInstance, dir: string): Promise<void> {
  const index = join(dir, 'index.html')
  if (!existsSync(index)) {
    app.get('/', async (_req, reply) =>
      secure(reply)
        .code(503)
        .type('text/plain')
        .send(`The web UI is not built (${dir} has no index.html): run npm run build:ui.\n`),
    )
    return
  }
  await app.register(fastifyStatic, {
    root: dir,
    index: false,
    wildcard: false,
    setHeaders: (reply, path) => {
      secure(reply).header(
        'Cache-Control',
        path.startsWith(join(dir, 'assets')) ? 'public, max-age=31536000, immutable' : 'no-cache',
      )
    },
  })
  const sendIndex = (reply: FastifyReply) =>
    secure(reply).header('Cache-Control', 'no-cache').sendFile('index.html', dir)
  app.get('/', async (_req, reply) => sendIndex(reply))
  app.setNotFoundHandler(async (req, reply) => {
    const path = req.url.split('?')[0] ?? ''
    // Node paths and host names have dots, so only the API and the assets folder are not pages,
    // however their slashes are spelt (an API client must get a 404, never the app's HTML).
    const first = firstSegment(path)
    const isPage = (req.method === 'GET' || req.method === 'HEAD') && first !== 'api' && first !== 'assets'
    if (isPage) return sendIndex(reply)
    return reply.code(404).send({ error: 'Not Found', message: `no route ${req.method} ${path}` })
  })
}

/** The first segment of a path however it is spelt: escaped, doubled or back slashes, dot segments, a scheme and host. */
function firstSegment(target: string): string {
  let path = target
  try {
    path = decodeURIComponent(target)
  } catch {}
  path = path.replaceAll('\\', '/').replace(/^[a-z][a-z0-9+.-]*:\/\/[^/]*/i, '')
  return (posix.normalize(`/${path}`).split('/')[1] ?? '').split(';')[0]!.toLowerCase()
}
