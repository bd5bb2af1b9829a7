# stackctl in a small image: the one-shot `migrate` service of compose.yaml
# runs `stackctl migrate up` then `stackctl seed demo` with it.
FROM golang:1.26.8-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -ldflags='-s -w' -o /out/stackctl ./cmd/stackctl

FROM alpine:3.22.2
RUN adduser -D -H -u 10001 stackctl
COPY --from=build /out/stackctl /usr/local/bin/stackctl
USER stackctl
WORKDIR /app
ENTRYPOINT ["stackctl"]
CMD ["--help"]
