# syntax=docker/dockerfile:1
# Confab's container image, for your own CI (docker build, buildah, kaniko…):
#   docker build -t registry.example.com/confab:0.1.0 .
# The same image as scripts/image.sh assembles without a daemon: the release binary, the built
# web chat and admin console, CA certificates; uid 10001, `confab` as entrypoint, /data the one
# writable volume (run it with a read-only root filesystem and a tmpfs at /tmp).

FROM node:22-bookworm-slim AS web
WORKDIR /src
COPY openapi ./openapi
COPY web ./web
COPY admin ./admin
RUN cd web && npm ci --no-audit --no-fund && npm run build \
 && cd ../admin && npm ci --no-audit --no-fund && npm run build

FROM rust:1.95-bookworm AS server
WORKDIR /src
COPY . .
RUN cargo build --release --locked -p confab-server && cp target/release/confab /confab

FROM debian:bookworm-slim
ARG VERSION=0.1.0
ARG REVISION=unknown
LABEL org.opencontainers.image.title="Confab" \
      org.opencontainers.image.description="Self-hosted chat platform for large language models" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.source="https://github.com/confab/confab" \
      org.opencontainers.image.licenses="Apache-2.0"
RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --gid 10001 confab && useradd --uid 10001 --gid 10001 --home-dir /data --no-create-home --shell /usr/sbin/nologin confab \
 && install -d -o 10001 -g 10001 -m 0750 /data
COPY --from=server /confab /usr/local/bin/confab
COPY --from=web /src/web/dist /usr/share/confab/web
COPY --from=web /src/admin/dist /usr/share/confab/admin
COPY scripts/image/confab.toml /etc/confab/confab.toml
ENV CONFAB_CONFIG=/etc/confab/confab.toml \
    SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt
USER 10001:10001
WORKDIR /data
VOLUME ["/data"]
EXPOSE 8080 8081
ENTRYPOINT ["/usr/local/bin/confab"]
CMD ["serve"]
