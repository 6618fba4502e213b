# Veelocity: a static binary on a minimal, non-root image.
# (Docker cannot run on the machine this was developed on; see README.)

FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
RUN CGO_ENABLED=0 go build -trimpath \
    -ldflags "-s -w -X github.com/veelocity/veelocity/internal/version.Version=${VERSION}" \
    -o /out/veelocity ./cmd/veelocity
# The data directory, owned by the image's non-root user (uid 65532), which
# the final stage cannot create: it has no shell.
RUN mkdir -p /out/data

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/veelocity /usr/local/bin/veelocity
# The SQLite default (and the demo database) live in /data; mount a volume
# there, or set DATABASE_URL to PostgreSQL.
COPY --from=build --chown=65532:65532 /out/data /data
WORKDIR /data
ENV LISTEN_ADDR=0.0.0.0:8000 \
    DATABASE_URL=sqlite:/data/veelocity.db
EXPOSE 8000
USER nonroot:nonroot
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s \
    CMD ["/usr/local/bin/veelocity", "healthcheck"]
ENTRYPOINT ["/usr/local/bin/veelocity"]
CMD ["serve"]
