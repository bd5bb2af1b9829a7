package jwtauth

import (
	"sync"

	"github.com/lestrrat-go/jwx/v2/jwt"
)

// maxVerifiedTokens bounds the verified-token cache (the engine's JWT
// cache has PostgREST's default of 1000 as well).
const maxVerifiedTokens = 1000

// tokenCache maps token strings to their verified tokens. When full it is
// emptied: a flood of distinct tokens costs what it costs without a cache.
type tokenCache struct {
	mu  sync.RWMutex
	max int
	m   map[string]jwt.Token
}

func newTokenCache(max int) *tokenCache { return &tokenCache{max: max, m: map[string]jwt.Token{}} }

func (c *tokenCache) get(tok string) (jwt.Token, bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	t, ok := c.m[tok]
	return t, ok
}

func (c *tokenCache) put(tok string, t jwt.Token) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.m) >= c.max {
		clear(c.m)
	}
	c.m[tok] = t
}

func (c *tokenCache) drop(tok string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.m, tok)
}
