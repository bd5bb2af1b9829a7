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

// jwkCacheEntry is the jwx cache of one resolved JWK URL; CachedSet is the
// key set that follows the cache.
type jwkCacheEntry struct {
	url       string
	cache     *jwk.Cache
	CachedSet jwk.Set
}

func (e *jwkCacheEntry) refresh(ctx context.Context, logger *zap.Logger) error {
	if _, err := e.cache.Refresh(ctx, e.url); err != nil {
		logger.Warn("failed to refresh JWK cache", zap.Error(err), zap.String("url", e.url))
		return err
	}
	return nil
}

// Error receives background fetch errors from jwx's JWK caches (it makes
// JWTAuth an httprc.ErrSink, as in caddy-jwt) and logs them.
func (ja *JWTAuth) Error(err error) { ja.log().Error("error", zap.Error(err)) }

// lookupJWK resolves jwk_url with the request's placeholders, gets (or
// creates and fills) the cache for that URL and finds the key by kid. A miss
// starts a background refresh and fails this signature.
func (ja *JWTAuth) lookupJWK(r *http.Request, kid string) (jwk.Key, error) {
	url := ja.resolveJWKURL(r)
	logger := ja.log()
	logger.Info("JWK URL", zap.String("unresolved", ja.JWKURL), zap.String("resolved", url))

	entry, err := ja.getOrCreateJWKCache(url)
	if err != nil {
		return nil, fmt.Errorf("failed to get JWK cache: %w", err)
	}
	key, ok := entry.CachedSet.LookupKeyID(kid)
	if !ok {
		go func() { _ = entry.refresh(ja.lifetime(), logger) }()
		if kid == "" {
			return nil, errors.New("missing kid in JWT header")
		}
		return nil, fmt.Errorf("key specified by kid %q not found in JWKs from %s", kid, url)
	}
	return key, nil
}

// resolveJWKURL replaces the request's placeholders in jwk_url (left as is
// when the request carries no Caddy replacer).
func (ja *JWTAuth) resolveJWKURL(r *http.Request) string {
	repl, ok := r.Context().Value(caddy.ReplacerCtxKey).(*caddy.Replacer)
	if !ok {
		return ja.JWKURL
	}
	return repl.ReplaceAll(ja.JWKURL, "")
}

// setupJWKLoader starts JWK mode with no cache yet: URLs may hold request
// placeholders, so caches are created per resolved URL on first use.
func (ja *JWTAuth) setupJWKLoader() {
	ja.jwkMu = new(sync.RWMutex)
	ja.jwkCaches = make(map[string]*jwkCacheEntry)
	ja.log().Info("JWK cache initialized for JWK URL", zap.String("jwk_url", ja.JWKURL))
}

// getOrCreateJWKCache returns the cache of a resolved JWK URL, creating and
// filling it on first use; a failed first fetch is logged, not fatal.
func (ja *JWTAuth) getOrCreateJWKCache(url string) (*jwkCacheEntry, error) {
	if url == "" {
		return nil, errors.New("resolved JWK URL is empty")
	}
	mu := ja.jwkMu
	if mu == nil {
		return nil, errors.New("JWK mode is not set up")
	}
	mu.RLock()
	entry, ok := ja.jwkCaches[url]
	mu.RUnlock()
	if ok {
		return entry, nil
	}

	mu.Lock()
	defer mu.Unlock()
	if entry, ok := ja.jwkCaches[url]; ok {
		return entry, nil
	}
	logger := ja.log()
	cache := jwk.NewCache(ja.lifetime(), jwk.WithErrSink(ja))
	if err := cache.Register(url); err != nil {
		return nil, fmt.Errorf("failed to register JWK URL: %w", err)
	}
	entry = &jwkCacheEntry{url: url, cache: cache, CachedSet: jwk.NewCachedSet(cache, url)}
	if err := entry.refresh(ja.lifetime(), logger); err != nil {
		logger.Warn("failed to refresh JWK cache during initialization", zap.Error(err), zap.String("url", url))
	}
	ja.jwkCaches[url] = entry
	logger.Info("new JWK cache created", zap.String("url", url), zap.Int("loaded_keys", entry.CachedSet.Len()))
	return entry, nil
}
