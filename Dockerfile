# syntax=docker/dockerfile:1
# One image for every Peregrine service. The command names the service:
#   docker run --rm peregrine:local collector    (agent | collector | dashboard | check-config)
# docker-compose.yml runs its agent from the bundle instead (node … agent/dist/peregrine-agent.mjs).
# docker-compose.yml runs the distributed mode from it; see docs/deployment.md.
# Dependencies first, so that a change to the sources reuses these layers. Every workspace's
# package.json is needed for `npm ci` to link the workspaces (cli/test/compose.test.ts checks the
# list against package.json).
FROM node:20-bookworm-slim AS manifests
WORKDIR /app
COPY package.json package-lock.json ./
COPY common/package.json common/
COPY agent/package.json agent/
COPY collector/package.json collector/
COPY judge/package.json judge/
COPY alarm/package.json alarm/
COPY dashboard/package.json dashboard/
COPY cli/package.json cli/

# The web UI is built (Vite, a devDependency) in a stage of its own; only its output is kept.
FROM manifests AS ui
RUN npm ci --no-audit --no-fund
COPY common common
COPY dashboard/ui dashboard/ui
COPY scripts scripts
RUN node scripts/ui-build.mjs

# tsx is a runtime dependency: the services run from their TypeScript sources; only the agent is bundled.
FROM manifests
ENV NODE_ENV=production
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

COPY . .
# The agent's bundle (agent/build.mjs, esbuild from tsx's dependencies), which docker-compose.yml's
# agent runs with plain node.
RUN node agent/build.mjs
# The dashboard serves the UI from dashboard/ui/dist (DASHBOARD_UI_DIR).
COPY --from=ui /app/dashboard/ui/dist dashboard/ui/dist

# The code stays owned by root; the unprivileged `node` user of the base image (uid 1000) may
# write only data/ (the agent's spool, data/agent-spool, is a volume in docker-compose.yml).
RUN mkdir -p data/agent-spool && chown -R node:node data
USER node

# dashboard (DASHBOARD_PORT), agent push (AGENT_HTTP_PORT), collector ops (COLLECTOR_OPS_PORT)
EXPOSE 8080 1988 8091

ENTRYPOINT ["node", "--import", "tsx", "cli/src/main.ts"]
# No default service: the CLI's own default, `all`, needs a nats-server binary, which this image
# lacks. Without a command the container prints the CLI's help.
CMD ["--help"]
