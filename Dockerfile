# Multi-stage build: compile in the Rust image, run in a small Debian image as a non-root user.
FROM rust:1.95-bookworm AS build
WORKDIR /src
COPY . .
RUN cargo build --release --locked -p propimport && cp target/release/propimport /propimport

FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates tzdata \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --create-home --home-dir /app propimport
WORKDIR /app
COPY --from=build /propimport /usr/local/bin/propimport
COPY --from=build /src/examples/feeds /app/examples/feeds
USER propimport
EXPOSE 5050
ENTRYPOINT ["propimport"]
CMD ["serve"]
