# The chat replica: `npm start` in a container. No build step: tsx runs the
# TypeScript sources, as on a laptop.

# Production dependencies only, installed apart so that the final image holds
# no npm cache and no dev tools.
FROM node:22-slim AS dependencies
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund

FROM node:22-slim
ENV NODE_ENV=production PORT=8080 HOST=0.0.0.0
WORKDIR /app
COPY --from=dependencies /app/node_modules ./node_modules
COPY package.json ./
COPY src ./src
COPY routes ./routes
COPY static ./static
# The image's own unprivileged user; the files stay root's, so it cannot change them.
USER node
EXPOSE 8080
# No curl in the slim image: Node's fetch asks the replica itself.
HEALTHCHECK --interval=10s --timeout=3s --start-period=15s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 8080) + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# Exec form: node is PID 1 and gets SIGTERM itself; it closes members with
# 1012 and exits within 10 s (src/node/shutdown.ts).
CMD ["node", "--import", "tsx", "src/node/main.ts"]
