# clerk-proxy as a container: the published package (npm pack) on Node LTS, run as the
# unprivileged `node` user, listening on $PORT (3000). docs/operating.md shows `docker run`
# and Kubernetes probes. test/operations/container.test.ts runs this file's install and entry
# commands outside a container engine.

# Build stage: the tarball npm would publish. Debian (glibc), like the machines the build is
# tested on: the dev tools ship native binaries (TypeScript 7, esbuild).
FROM node:24-bookworm-slim AS build
WORKDIR /src
COPY package.json package-lock.json tsconfig.json tsconfig.build.json README.md CHANGELOG.md LICENSE ./
COPY bin ./bin
COPY src ./src
COPY adapters ./adapters
RUN npm ci --no-audit --no-fund --ignore-scripts \
 && npm run build \
 && npm pack --ignore-scripts --pack-destination /tmp \
 && mv /tmp/fapi-proxy-clerk-*.tgz /tmp/clerk-proxy.tgz

# Runtime stage: the tarball installed with its runtime dependencies only (all plain
# JavaScript, so the small Alpine image serves).
FROM node:24-alpine
ENV NODE_ENV=production \
    PORT=3000
WORKDIR /app
COPY --from=build /tmp/clerk-proxy.tgz /tmp/clerk-proxy.tgz
RUN npm install --omit=dev --no-audit --no-fund --ignore-scripts /tmp/clerk-proxy.tgz \
 && rm /tmp/clerk-proxy.tgz \
 && npm cache clean --force
USER node
EXPOSE 3000
# Liveness of the process; readiness (/readyz) is for the orchestrator's own probe.
HEALTHCHECK --interval=10s --timeout=3s --start-period=5s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 3000) + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
ENTRYPOINT ["node", "/app/node_modules/@fapi-proxy/clerk/bin/clerk-proxy.js"]
