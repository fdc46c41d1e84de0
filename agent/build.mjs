// Bundles the agent's entry, the parts of @peregrine/common it imports and its npm dependencies
// (nats, pino, zod/mini) into one minified ES module, agent/dist/peregrine-agent.mjs, run by
// plain node: no TypeScript transpiler at run time, and a heap that holds ~0.4 MB of source
// instead of what the packages' files would add (docs/agent.md, "Memory"). zod is written as
// zod/mini where the agent uses it, so only the few functions it calls are kept (~30 KB of zod's
// ~450 KB). yaml stays outside: it is loaded from node_modules only when a config file is given.
// esbuild is the transpiler tsx already uses, so building adds no dependency.
import { build } from 'esbuild'

await build({
  entryPoints: [new URL('src/main.ts', import.meta.url).pathname],
  outfile: new URL('dist/peregrine-agent.mjs', import.meta.url).pathname,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  external: ['yaml'],
  minify: true,
  sourcemap: true,
  // nats and pino are CommonJS and require() Node's own modules, which an ES module has not.
  banner: {
    js: "import { createRequire as __peregrineRequire } from 'node:module'; const require = __peregrineRequire(import.meta.url);",
  },
  logLevel: 'warning',
})
