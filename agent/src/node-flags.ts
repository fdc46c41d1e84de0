/**
 * The node flags the agent runs with on hosts (docs/agent.md, "Memory"): V8's interpreter only
 * (`--jitless`: no optimizing compiler, whose code and compiled functions cost ~9 MB of RSS while
 * the agent's little work does not get cheaper with it; `--no-expose-wasm` says that WebAssembly,
 * which needs a compiler, is off, instead of node warning so at every start) and a 1 MiB young
 * generation (the agent allocates little). Used by the benchmark, the tests of the bundle and,
 * written out, by docker-compose.yml (checked by cli/test/compose.test.ts) and the docs.
 */
export const AGENT_NODE_FLAGS = ['--jitless', '--no-expose-wasm', '--max-semi-space-size=1'] as const
