# The chat replica in a container: the built server (dist/server/main.js,
# `npm run build:server`) on plain Node, with the production dependencies it
# imports, and static/ (the page and its bundle). Neither tsx nor esbuild is
# in the final image: both are dev dependencies, used in the build stage only.

# Production dependencies only, installed apart so that the final image holds
# no npm cache and no dev tools. No scripts: `prepare` builds with dev tools,
# and the builds come from the stage below.
FROM node:22-slim AS dependencies
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund

# The page's bundle and the server's, made with the dev tools (esbuild), which
# stay in this stage.
FROM node:22-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json ./
COPY src ./src
COPY routes ./routes
COPY static ./static
RUN npm run build:page && npm run build:server

FROM node:22-slim
ENV NODE_ENV=production PORT=8080 HOST=0.0.0.0
WORKDIR /app
COPY --from=dependencies /app/node_modules ./node_modules
# Its "type": "module" makes Node load dist/server/main.js as an ES module.
COPY package.json ./
COPY --from=build /app/dist/server ./dist/server
# static/ as built: the page and its bundle (found at ../../static from dist/server).
COPY --from=build /app/static ./static
# The image's own unprivileged user; the files stay root's, so it cannot change them.
USER node
EXPOSE 8080
# No curl in the slim image: Node's fetch asks the replica itself.
HEALTHCHECK --interval=10s --timeout=3s --start-period=15s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 8080) + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# Exec form, and node itself rather than `npm start`: node is PID 1 and gets
# SIGTERM itself; it closes members with 1012 and exits within 10 s
# (src/server/exit-on-signals.ts).
CMD ["node", "dist/server/main.js"]
