# The chat replica: `npm start` in a container. tsx runs the TypeScript
# sources, as on a laptop; the one built file is the page's bundle of the
# client library (static/vendor/chat-client.js, `npm run build:page`).

# Production dependencies only, installed apart so that the final image holds
# no npm cache and no dev tools. No scripts: `prepare` builds with dev tools,
# and the page's bundle comes from the stage below.
FROM node:22-slim AS dependencies
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund

# The page's bundle, made with the dev tools (esbuild), which stay in this stage.
FROM node:22-slim AS page
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json ./
COPY src ./src
COPY static ./static
RUN npm run build:page

FROM node:22-slim
ENV NODE_ENV=production PORT=8080 HOST=0.0.0.0
WORKDIR /app
COPY --from=dependencies /app/node_modules ./node_modules
COPY package.json ./
COPY src ./src
COPY routes ./routes
# static/ as built: the page and its bundle.
COPY --from=page /app/static ./static
# The image's own unprivileged user; the files stay root's, so it cannot change them.
USER node
EXPOSE 8080
# No curl in the slim image: Node's fetch asks the replica itself.
HEALTHCHECK --interval=10s --timeout=3s --start-period=15s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 8080) + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# Exec form: node is PID 1 and gets SIGTERM itself; it closes members with
# 1012 and exits within 10 s (src/node/shutdown.ts).
CMD ["node", "--import", "tsx", "src/node/main.ts"]
