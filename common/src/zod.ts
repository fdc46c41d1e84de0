/**
 * zod/mini with zod's English messages, for the schemas every process shares and the agent uses:
 * zod/mini's functions are kept by a bundle only where used (the agent's bundle holds ~25 KB of
 * zod instead of ~450 KB, docs/agent.md). Unlike `zod`, zod/mini sets no locale by itself, so a
 * process that loads only it (the agent) would answer every bad input with "Invalid input".
 * Schemas of zod and zod/mini mix freely: both are zod's core types.
 */
import { config } from 'zod/mini'
import en from 'zod/v4/locales/en.js'

config(en())

// Import it as a namespace (`import * as z`): a bundle keeps only the functions used through it.
export * from 'zod/mini'
