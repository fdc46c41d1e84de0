#!/usr/bin/env node
// The `peregrine` command. The CLI runs from its TypeScript sources (there is no build step):
// tsx's loader is registered in this process, rather than a second node started with it.
import { register } from 'tsx/esm/api'

register()
await import('../src/main.ts')
