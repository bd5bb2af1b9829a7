package auth

import (
	"sync"

	"github.com/authstack/authstack/internal/postgrest/apierr"
)

// Cache holds verified claim sets per token, at most max entries, evicting
// the oldest insertion first. Only successful decodes are stored; time and
// audience checks run on every request, so an entry never extends a token's
// life. Cached claim maps are shared: callers must not modify them.
type Cache struct {
	mu    sync.Mutex
	max   int
	items map[string]*cached
	order []string // ring of keys, oldest at head
	head  int
}

// cached is a verified claim set, with the request.jwt.claims text made
// from it once (see ClaimsJSON).
type cached struct {
	claims map[string]any
	role   string
	json   string
}

// NewCache returns a cache bounded to max entries.
func NewCache(max int) *Cache {
	return &Cache{max: max, items: make(map[string]*cached, max)}
}

// Len is the number of cached tokens.
func (c *Cache) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.items)
}

// Get returns the cached claims for token or decodes and stores them.
func (c *Cache) Get(token string, decode func(string) (map[string]any, *apierr.Error)) (map[string]any, *apierr.Error) {
	c.mu.Lock()
	if v, ok := c.items[token]; ok {
		c.mu.Unlock()
		return v.claims, nil
	}
	c.mu.Unlock()
	claims, err := decode(token)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.items[token]; ok {
		return claims, nil
	}
	if len(c.order) < c.max {
		c.order = append(c.order, token)
	} else {
		delete(c.items, c.order[c.head])
		c.order[c.head] = token
		c.head = (c.head + 1) % c.max
	}
	c.items[token] = &cached{claims: claims}
	return claims, nil
}

// claimsJSON returns the text of token's claims with role, computing it
// with encode the first time.
func (c *Cache) claimsJSON(token, role string, encode func() string) string {
	c.mu.Lock()
	e := c.items[token]
	if e != nil && e.json != "" && e.role == role {
		j := e.json
		c.mu.Unlock()
		return j
	}
	c.mu.Unlock()
	j := encode()
	if e != nil {
		c.mu.Lock()
		e.role, e.json = role, j
		c.mu.Unlock()
	}
	return j
}
