#!/usr/bin/env node
// The agent's own entry, for hosts: it loads only what the agent needs (no CLI, collector,
// dashboard, ClickHouse). `npm run build -w @peregrine/agent` bundles it into
// agent/dist/peregrine-agent.mjs, run by plain node without a TypeScript transpiler.
import { ConfigError } from '@peregrine/common/config'
import { loadAgentConfig } from './config.ts'
import { runAgent } from './run.ts'

runAgent(loadAgentConfig()).catch((err: Error) => {
  console.error(err instanceof ConfigError ? err.message : err)
  process.exit(1)
})
