// Package jwtauth is a Caddy module that authenticates requests carrying a
// JSON Web Token. It is a drop-in replacement for github.com/ggicci/caddy-jwt
// v1.1.1: it registers the same module ID
// (http.authentication.providers.jwt), the same Caddyfile directive
// (jwtauth) producing the same JSON, and behaves the same way (token
// extraction order, algorithm selection, claim checks, placeholders, logs).
//
// The project needs its own copy because caddy-jwt cannot be fetched in the
// build environment; the Docker image still builds the real caddy-jwt.
// The behaviour is specified in docs/gateway.md and the project's
// caddy-jwt spec; this package is built on github.com/lestrrat-go/jwx/v2,
// the library caddy-jwt uses, so edge cases fall the same way.
package jwtauth
