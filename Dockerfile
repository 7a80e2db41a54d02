# qnlive image: Debian 12, two stages. The build stage uses the project's own package script and
# release preset; the runtime stage carries only the shared libraries, the binary and the
# example configuration, and runs as an unprivileged user.
#
#   docker build -t qnlive .
#   docker run -p 127.0.0.1:8099:8099 -v $PWD/config.yaml:/etc/qnlive/config.yaml qnlive

FROM debian:bookworm-slim AS build
WORKDIR /src
COPY scripts/install-deps.sh scripts/install-deps.sh
RUN ./scripts/install-deps.sh run && rm -rf /var/lib/apt/lists/*
COPY CMakeLists.txt CMakePresets.json ./
COPY cmake cmake
COPY console console
COPY src src
COPY db db
COPY tests tests
COPY config config
RUN cmake --preset release >/dev/null \
    && cmake --build build/release -j"$(nproc)" --target qnlive \
    && strip build/release/qnlive

FROM debian:bookworm-slim
# The runtime libraries of the -dev packages above, curl for the health check, CA roots for the
# Qiniu HTTPS APIs.
RUN apt-get update -qq \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
       libmicrohttpd12 libjansson4 libyaml-0-2 libmariadb3 libsqlite3-0 libhiredis0.14 \
       libcurl4 libssl3 ca-certificates curl >/dev/null \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --home-dir /var/lib/qnlive --create-home --shell /usr/sbin/nologin qnlive
COPY --from=build /src/build/release/qnlive /usr/local/bin/qnlive
COPY config/qnlive.example.yaml /etc/qnlive/qnlive.example.yaml
COPY deploy/docker/config.yaml /etc/qnlive/config.yaml
USER qnlive
WORKDIR /var/lib/qnlive
EXPOSE 8099 9100
# SIGTERM drains in-flight requests (httpq.drain_timeout_s) and exits 0.
STOPSIGNAL SIGTERM
HEALTHCHECK --interval=10s --timeout=3s --start-period=90s --retries=3 \
    CMD curl -fsS -o /dev/null http://127.0.0.1:8099/healthz || exit 1
ENTRYPOINT ["/usr/local/bin/qnlive"]
CMD ["-f", "/etc/qnlive/config.yaml"]
