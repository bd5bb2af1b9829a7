package jwtauth

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"

	"github.com/caddyserver/caddy/v2"
	"github.com/lestrrat-go/jwx/v2/jwk"
	"go.uber.org/zap"
)

// jwksCaches holds the jwx caches, keyed by resolved JWK URL.
type jwksCaches struct {
	mu    sync.RWMutex
	byURL map[string]*jwksEntry
}

// jwksEntry is the jwx cache of one resolved JWK URL.
type jwksEntry struct {
	url   string
	cache *jwk.Cache
	set   jwk.Set
}

func (e *jwksEntry) refresh(ctx context.Context, logger *zap.Logger) error {
	if _, err := e.cache.Refresh(ctx, e.url); err != nil {
		logger.Warn("failed to refresh JWK cache", zap.Error(err), zap.String("url", e.url))
		return err
	}
	return nil
}

// errSink receives background fetch errors from jwx's cache.
type errSink struct{ logger *zap.Logger }

func (s errSink) Error(err error) { s.logger.Error("error", zap.Error(err)) }

// lookupJWK resolves jwk_url with the request's placeholders, gets (or
// creates and fills) the cache for that URL and finds the key by kid. A miss
// starts a background refresh and fails this signature.
func (ja *JWTAuth) lookupJWK(r *http.Request, kid string) (jwk.Key, error) {
	url := ja.JWKURL
	if repl, ok := r.Context().Value(caddy.ReplacerCtxKey).(*caddy.Replacer); ok {
		url = repl.ReplaceAll(ja.JWKURL, "")
	}
	logger := ja.log()
	logger.Info("JWK URL", zap.String("unresolved", ja.JWKURL), zap.String("resolved", url))

	entry, err := ja.jwksFor(url)
	if err != nil {
		return nil, fmt.Errorf("failed to get JWK cache: %w", err)
	}
	key, ok := entry.set.LookupKeyID(kid)
	if !ok {
		go func() { _ = entry.refresh(ja.lifetime(), logger) }()
		if kid == "" {
			return nil, errors.New("missing kid in JWT header")
		}
		return nil, fmt.Errorf("key specified by kid %q not found in JWKs from %s", kid, url)
	}
	return key, nil
}

func (ja *JWTAuth) jwksFor(url string) (*jwksEntry, error) {
	if url == "" {
		return nil, errors.New("resolved JWK URL is empty")
	}
	c := ja.jwks
	if c == nil {
		return nil, errors.New("JWK mode is not set up")
	}
	c.mu.RLock()
	entry, ok := c.byURL[url]
	c.mu.RUnlock()
	if ok {
		return entry, nil
	}

	c.mu.Lock()
	defer c.mu.Unlock()
	if entry, ok := c.byURL[url]; ok {
		return entry, nil
	}
	logger := ja.log()
	cache := jwk.NewCache(ja.lifetime(), jwk.WithErrSink(errSink{logger}))
	if err := cache.Register(url); err != nil {
		return nil, fmt.Errorf("failed to register JWK URL: %w", err)
	}
	entry = &jwksEntry{url: url, cache: cache, set: jwk.NewCachedSet(cache, url)}
	if err := entry.refresh(ja.lifetime(), logger); err != nil {
		logger.Warn("failed to refresh JWK cache during initialization", zap.Error(err), zap.String("url", url))
	}
	c.byURL[url] = entry
	logger.Info("new JWK cache created", zap.String("url", url), zap.Int("loaded_keys", entry.set.Len()))
	return entry, nil
}
