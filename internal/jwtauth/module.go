package jwtauth

import (
	"context"
	"crypto/x509"
	"fmt"
	"net/http"
	"sync"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp/caddyauth"
	"github.com/lestrrat-go/jwx/v2/jwa"
	"github.com/lestrrat-go/jwx/v2/jwt"
	"go.uber.org/zap"
)

func init() {
	caddy.RegisterModule(JWTAuth{})
}

// ModuleID is the Caddy module ID, the same as caddy-jwt's.
const ModuleID = "http.authentication.providers.jwt"

// JWTAuth is the authentication provider. Its JSON field names, their order
// and the absence of omitempty match caddy-jwt v1.1.1, so a Caddyfile adapts
// to byte-identical JSON under both modules.
type JWTAuth struct {
	// SignKey verifies signatures: base64 (standard alphabet, padded) of
	// the HMAC secret or raw Ed25519 public key, or a PEM "PUBLIC KEY"
	// (PKIX) block for RSA/ECDSA/Ed25519. {env.*} and {file.*}
	// placeholders are resolved once, when the config is loaded.
	SignKey string `json:"sign_key"`

	// JWKURL publishes a JWK set; used only when SignKey is empty. Request
	// placeholders are resolved per request; one cache per resolved URL.
	JWKURL string `json:"jwk_url"`

	// SignAlgorithm is the fallback algorithm when the token header has no
	// "alg" (and, in JWK mode, the key has none either). "EdDSA" forces
	// EdDSA with a raw 32-byte base64 key.
	SignAlgorithm string `json:"sign_alg"`

	// SkipVerification parses tokens without checking signatures; the time
	// claims, whitelists and user claims are still enforced.
	SkipVerification bool `json:"skip_verification"`

	// FromQuery, FromHeader and FromCookies name where to look for tokens,
	// in that priority order. The Authorization header is always tried last.
	FromQuery   []string `json:"from_query"`
	FromHeader  []string `json:"from_header"`
	FromCookies []string `json:"from_cookies"`

	// IssuerWhitelist, when non-empty, requires "iss" to equal one entry.
	IssuerWhitelist []string `json:"issuer_whitelist"`
	// AudienceWhitelist, when non-empty, requires "aud" to contain one entry.
	AudienceWhitelist []string `json:"audience_whitelist"`

	// UserClaims lists the claims tried, in order, for the user ID
	// ({http.auth.user.id}). Default: ["sub"].
	UserClaims []string `json:"user_claims"`

	// MetaClaims maps a claim (dots walk nested objects) to the name of an
	// {http.auth.user.<name>} placeholder.
	MetaClaims map[string]string `json:"meta_claims"`

	logger        *zap.Logger
	parsedSignKey any // []byte for HMAC and raw EdDSA; a crypto public key for PEM

	// jwkCaches (JWK mode only) holds one jwx cache per resolved JWK URL,
	// guarded by jwkMu; both are set up by Validate.
	jwkCaches map[string]*jwkCacheEntry
	jwkMu     *sync.RWMutex

	// verified holds tokens whose signature checked out (sign_key mode).
	verified *tokenCache

	// ctx lives as long as this config: it stops the JWK caches' background
	// refreshers when Caddy unloads the config (caddy-jwt leaves them running).
	ctx    context.Context
	cancel context.CancelFunc
}

// CaddyModule implements caddy.Module.
func (JWTAuth) CaddyModule() caddy.ModuleInfo {
	return caddy.ModuleInfo{
		ID:  ModuleID,
		New: func() caddy.Module { return new(JWTAuth) },
	}
}

// Provision implements caddy.Provisioner. Like caddy-jwt, it only sets up
// the logger; the configuration is checked (and keys decoded) in Validate.
func (ja *JWTAuth) Provision(ctx caddy.Context) error {
	ja.logger = ctx.Logger(ja)
	ja.ctx, ja.cancel = context.WithCancel(context.Background())
	ja.verified = newTokenCache(maxVerifiedTokens)
	return nil
}

// Cleanup implements caddy.CleanerUpper: it stops the JWK caches.
func (ja *JWTAuth) Cleanup() error {
	if ja.cancel != nil {
		ja.cancel()
	}
	return nil
}

// lifetime is the context for background work of this module instance.
func (ja *JWTAuth) lifetime() context.Context {
	if ja.ctx == nil {
		return context.Background()
	}
	return ja.ctx
}

// Validate implements caddy.Validator.
func (ja *JWTAuth) Validate() error {
	if !ja.SkipVerification {
		if err := ja.validateSignatureKeys(); err != nil {
			return err
		}
	}
	if len(ja.UserClaims) == 0 {
		ja.UserClaims = []string{"sub"}
	}
	for claim, placeholder := range ja.MetaClaims {
		if claim == "" || placeholder == "" {
			return fmt.Errorf("invalid meta claim: %s -> %s", claim, placeholder)
		}
	}
	return nil
}

// usingJWK reports whether keys come from JWKURL. The test is on the raw,
// unresolved sign_key, as in caddy-jwt.
func (ja *JWTAuth) usingJWK() bool {
	return ja.SignKey == "" && ja.JWKURL != ""
}

func (ja *JWTAuth) validateSignatureKeys() error {
	if ja.usingJWK() {
		ja.setupJWKLoader()
		return nil
	}
	der, pemKey, err := parseSignKey(ja.SignKey)
	if err != nil {
		return fmt.Errorf("invalid sign_key: %w", err)
	}
	if pemKey {
		pub, err := x509.ParsePKIXPublicKey(der)
		if err != nil {
			return fmt.Errorf("invalid sign_key (asymmetric): %w", err)
		}
		ja.parsedSignKey = pub
	} else {
		ja.parsedSignKey = der
	}
	if ja.SignAlgorithm != "" {
		var alg jwa.SignatureAlgorithm
		if err := alg.Accept(ja.SignAlgorithm); err != nil {
			return fmt.Errorf("%w: %v", ErrInvalidSignAlgorithm, err)
		}
	}
	return nil
}

func (ja *JWTAuth) log() *zap.Logger {
	if ja.logger == nil {
		return zap.NewNop()
	}
	return ja.logger
}

// Authenticate implements caddyauth.Authenticator. Candidates are tried in
// order (query, header, cookies, then Authorization); the first that passes
// every check wins. On failure the last candidate's error is returned, which
// Caddy exposes as {http.auth.jwt.error}; with no candidate the error is nil.
func (ja *JWTAuth) Authenticate(_ http.ResponseWriter, r *http.Request) (User, bool, error) {
	var lastErr error
	tried := make(map[string]struct{}, 2)
	for _, raw := range ja.candidates(r) {
		tok := normToken(raw)
		if _, dup := tried[tok]; dup {
			continue
		}
		tried[tok] = struct{}{}

		user, claim, err := ja.check(r, tok)
		if err != nil {
			lastErr = err
			if ce := ja.log().Check(zap.ErrorLevel, "invalid token"); ce != nil {
				if err == ErrEmptyUserClaim {
					ce.Write(zap.String("token_string", desensitizedTokenString(tok)), zap.Strings("user_claims", ja.UserClaims), zap.Error(err))
				} else {
					ce.Write(zap.String("token_string", desensitizedTokenString(tok)), zap.Error(err))
				}
			}
			continue
		}
		// Check first: the fields are built only when the line is written.
		if ce := ja.log().Check(zap.InfoLevel, "user authenticated"); ce != nil {
			ce.Write(zap.String("token_string", desensitizedTokenString(tok)), zap.String("user_claim", claim), zap.String("id", user.ID))
		}
		return user, true, nil
	}
	return User{}, false, lastErr
}

// check parses and validates one normalised candidate.
func (ja *JWTAuth) check(r *http.Request, tok string) (caddyauth.User, string, error) {
	token, err := ja.parse(r, tok)
	if err != nil {
		return caddyauth.User{}, "", err
	}
	if len(ja.IssuerWhitelist) > 0 && !anyValid(token, ja.IssuerWhitelist, jwt.WithIssuer) {
		return caddyauth.User{}, "", ErrInvalidIssuer
	}
	if len(ja.AudienceWhitelist) > 0 && !anyValid(token, ja.AudienceWhitelist, jwt.WithAudience) {
		return caddyauth.User{}, "", ErrInvalidAudience
	}
	claim, id := getUserID(token, ja.UserClaims)
	if id == "" {
		return caddyauth.User{}, "", ErrEmptyUserClaim
	}
	return caddyauth.User{ID: id, Metadata: getUserMetadata(token, ja.MetaClaims)}, claim, nil
}

// parse verifies and validates tok. With a sign_key the signature of a
// token cannot change its outcome, so verified tokens are kept (verified);
// the time claims are validated again on every request, so the cache never
// extends a token's life. A cached token failing them is parsed again, for
// the same error as without the cache.
func (ja *JWTAuth) parse(r *http.Request, tok string) (jwt.Token, error) {
	cacheable := !ja.SkipVerification && !ja.usingJWK() && ja.verified != nil
	if cacheable {
		if t, ok := ja.verified.get(tok); ok {
			if jwt.Validate(t) == nil {
				return t, nil
			}
			ja.verified.drop(tok)
		}
	}
	opts := []jwt.ParseOption{jwt.WithVerify(!ja.SkipVerification)}
	if !ja.SkipVerification {
		opts = append(opts, jwt.WithKeyProvider(ja.keyProvider(r)))
	}
	t, err := jwt.ParseString(tok, opts...)
	if err == nil && cacheable {
		ja.verified.put(tok, t)
	}
	return t, err
}

func anyValid(token jwt.Token, allowed []string, opt func(string) jwt.ValidateOption) bool {
	for _, v := range allowed {
		if jwt.Validate(token, opt(v)) == nil {
			return true
		}
	}
	return false
}

// User and Token name the types Authenticate works with, as in caddy-jwt.
type (
	User  = caddyauth.User
	Token = jwt.Token
)

// Interface guards.
var (
	_ caddy.Provisioner       = (*JWTAuth)(nil)
	_ caddy.Validator         = (*JWTAuth)(nil)
	_ caddy.CleanerUpper      = (*JWTAuth)(nil)
	_ caddyauth.Authenticator = (*JWTAuth)(nil)
)
