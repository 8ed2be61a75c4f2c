# The propimport image: built in the Rust image, run in a small Debian image as a non-root user.
#
#   docker build -t propimport .
#   docker run -p 127.0.0.1:5050:5050 -v propimport-data:/app/data propimport
#
# The base images can be replaced (a mirror, a pinned digest) with --build-arg RUST_IMAGE=… and
# --build-arg RUNTIME_IMAGE=….
ARG RUST_IMAGE=rust:1.95-bookworm
ARG RUNTIME_IMAGE=debian:bookworm-slim

FROM ${RUST_IMAGE} AS build
WORKDIR /src
# Behind a TLS-inspecting proxy, cargo must trust the proxy's CA to download the crates: pass
# its certificates (PEM) with --build-arg EXTRA_CA_CERTS="$(cat proxy-ca.crt)". They are
# trusted by this build stage only, never by the image that runs.
ARG EXTRA_CA_CERTS=""
RUN if [ -n "$EXTRA_CA_CERTS" ]; then \
      printf '%s\n' "$EXTRA_CA_CERTS" >/usr/local/share/ca-certificates/build-extra.crt \
      && update-ca-certificates >/dev/null; \
    fi
# The dependencies first, in a layer of their own that a change of the sources does not
# invalidate: the manifests, the lock file and placeholder sources (deploy/docker/stub-sources.sh).
# rust-toolchain.toml is left out of the build context (.dockerignore): the image's own
# toolchain builds, and rustup downloads nothing (rustfmt and clippy are for development).
COPY Cargo.toml Cargo.lock ./
COPY crates/domain/Cargo.toml crates/domain/
COPY crates/persistence/Cargo.toml crates/persistence/
COPY crates/importer/Cargo.toml crates/importer/
COPY crates/scheduler/Cargo.toml crates/scheduler/
COPY crates/http-api/Cargo.toml crates/http-api/
COPY crates/app/Cargo.toml crates/app/
COPY deploy/docker/stub-sources.sh /usr/local/bin/stub-sources
RUN stub-sources && cargo build --release --locked -p propimport && rm -rf crates/*/src
# Then the sources; their modification times are made newer than the placeholders' build, so
# cargo rebuilds the workspace's crates (and only them).
COPY . .
RUN find crates -type f -exec touch {} + \
    && cargo build --release --locked -p propimport \
    && cp target/release/propimport /propimport

FROM ${RUNTIME_IMAGE}
RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates tzdata \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --create-home --home-dir /app propimport \
    && mkdir -p /app/data && chown propimport:propimport /app/data
WORKDIR /app
COPY --from=build /propimport /usr/local/bin/propimport
USER propimport
# Listen on every interface of the container (the service's own default is 127.0.0.1), write
# no colour codes into `docker logs`. The SQLite default (sqlite://data/propimport.db), the
# images (./data/images) and a generated admin token (data/admin-token) live in /app/data.
ENV HOST=0.0.0.0 \
    PORT=5050 \
    NO_COLOR=1
VOLUME ["/app/data"]
EXPOSE 5050
# `propimport health` asks /readyz on 127.0.0.1:$PORT: healthy once the database answers, the
# migrations are applied and the scheduler runs.
HEALTHCHECK --interval=10s --timeout=5s --start-period=30s --retries=3 \
    CMD ["propimport", "health"]
ENTRYPOINT ["propimport"]
CMD ["serve"]
