# syntax=docker/dockerfile:1

# ---- build: the Maven wrapper builds the jar on Java 17, the project's baseline (tests run in CI, not in the image
# build), and extracts it: the application jar and its libraries side by side, the layout an AOT cache needs ----
FROM eclipse-temurin:17-jdk AS build
WORKDIR /src
COPY .mvn/ .mvn/
COPY mvnw pom.xml ./
RUN ./mvnw -B -q dependency:go-offline
COPY src/ src/
RUN ./mvnw -B -q package -DskipTests \
    && java -Djarmode=tools -jar target/kv-store.jar extract --destination /app

# ---- runtime: Java 25 (chosen by measurement, see docs/operations.md, Runtime), a non-root user, the log on a
# volume ----
FROM eclipse-temurin:25-jre
RUN apt-get update \
    && apt-get install -y --no-install-recommends curl \
    && rm -rf /var/lib/apt/lists/* \
    && groupadd --system kv \
    && useradd --system --gid kv --home-dir /app --no-create-home --shell /usr/sbin/nologin kv \
    && mkdir -p /app /data \
    && chown kv:kv /data
COPY --from=build /app /app

# The same names as in docs/operations.md (Configuration). The JVM sizes its heap from the container's memory limit
# (MaxRAMPercentage) instead of the host's, and exits on OutOfMemoryError so the orchestrator restarts it.
#
# Security, made explicit: with no token configured, protected mode answers only clients inside the container
# (loopback); every other client gets 403 with instructions. To serve other hosts, give a token:
#   -e KV_SECURITY_TOKENS_0_TOKEN=<16+ random characters> -e KV_SECURITY_TOKENS_0_ROLE=admin
# or turn protection off deliberately with -e KV_SECURITY_PROTECTED_MODE=false.
ENV KV_DATA_DIR=/data \
    KV_WAL_SYNC=always \
    KV_SECURITY_PROTECTED_MODE=true \
    SERVER_PORT=8080 \
    JAVA_TOOL_OPTIONS="-XX:MaxRAMPercentage=75 -XX:+ExitOnOutOfMemoryError -XX:+UseParallelGC"

# The AOT cache (JEP 483, 514, 515): one training start of the service on an empty data directory, stopped once its
# context is refreshed, records the classes it loaded and linked and their profiles; every later start maps them
# instead of loading, verifying and linking the classes again (about 3.5 times faster to readiness). It is created
# with the flags above, which every start must keep. The ENTRYPOINT names it with SharedArchiveFile, which Java 25
# reads as the AOT cache and older JVMs without it ignore.
RUN mkdir /tmp/aot-training \
    && java -XX:AOTCacheOutput=/app/kv-store.aot -Dspring.context.exit=onRefresh -jar /app/kv-store.jar \
        --server.port=0 --kv.data-dir=/tmp/aot-training \
    && rm -rf /tmp/aot-training

USER kv
VOLUME ["/data"]
EXPOSE 8080
# The probes stay open without a token, and SIGTERM stops the service gracefully with exit status 0.
STOPSIGNAL SIGTERM
HEALTHCHECK --interval=10s --timeout=3s --start-period=60s --retries=3 \
    CMD curl -fsS "http://localhost:${SERVER_PORT:-8080}/actuator/health/readiness" || exit 1
ENTRYPOINT ["java", "-XX:SharedArchiveFile=/app/kv-store.aot", "-jar", "/app/kv-store.jar"]
