// Package auth verifies the JWT of a request as PostgREST v16.2 does
// (Auth.hs, Auth/Jwt.hs at v16.2): Bearer only, HS256 with a plain or base64
// secret, 30 s leeway on exp/nbf/iat, aud, the role claim key, the anon
// role, PostgREST's exact PGRST300-303 errors, and a bounded cache of
// verified claim sets that never extends a token's life.
package auth

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/authstack/authstack/internal/postgrest/apierr"
)

// Leeway is the allowed clock skew on exp, nbf and iat (Auth/Jwt.hs@v16.2).
const Leeway = 30

// Config is what the verifier needs.
type Config struct {
	// Secret is the HMAC key (already base64-decoded); nil means no
	// jwt-secret is configured. Ignored when Keys is set.
	Secret []byte
	// Keys are the verification keys parsed from jwt-secret (ParseSecret);
	// nil = none configured (then Secret, if set, is an HS256 key).
	Keys []Key
	// Audience is jwt-aud; "" accepts any string or array aud.
	Audience string
	// RoleClaim is the parsed jwt-role-claim-key.
	RoleClaim Path
	// AnonRole is db-anon-role ("" = anonymous access disabled).
	AnonRole string
	// CacheMaxEntries bounds the claims cache; <= 0 disables it.
	CacheMaxEntries int
}

// Result is the outcome of authentication.
type Result struct {
	// Claims are the verified claims (empty for anonymous requests).
	Claims map[string]any
	// Role is the effective role.
	Role string
	// ClaimsJSON is request.jwt.claims: the claims with "role" set to
	// Role, as JSON (aeson's encoding: no HTML escaping).
	ClaimsJSON string
}

// Authenticator verifies tokens.
type Authenticator struct {
	cfg   Config
	cache *Cache
	now   func() time.Time
}

// New returns an Authenticator.
func New(cfg Config) *Authenticator {
	if cfg.Keys == nil && cfg.Secret != nil {
		cfg.Keys = []Key{{Alg: "HS256", Secret: cfg.Secret}}
	}
	a := &Authenticator{cfg: cfg, now: time.Now}
	if cfg.CacheMaxEntries > 0 && cfg.Keys != nil {
		a.cache = NewCache(cfg.CacheMaxEntries)
	}
	return a
}

// SetClock replaces the clock (tests).
func (a *Authenticator) SetClock(now func() time.Time) { a.now = now }

// Cache returns the claims cache (nil when disabled).
func (a *Authenticator) Cache() *Cache { return a.cache }

// BearerToken extracts the token the way wai-extra's extractBearerAuth does
// from the first Authorization header: scheme "bearer" compared
// case-insensitively, spaces after it skipped. ok is false when there is no
// Bearer credential (the request is then anonymous).
func BearerToken(h http.Header) (token string, ok bool) {
	vals := h.Values("Authorization")
	if len(vals) == 0 {
		return "", false
	}
	v := vals[0]
	scheme, rest := v, ""
	if i := strings.IndexFunc(v, unicode.IsSpace); i >= 0 {
		scheme, rest = v[:i], v[i:]
	}
	if !strings.EqualFold(scheme, "bearer") {
		return "", false
	}
	return strings.TrimLeftFunc(rest, unicode.IsSpace), true
}

func jwtErr(code, msg, details string) *apierr.Error {
	e := apierr.New(401, code, msg, details, "")
	return e.WithHeader("WWW-Authenticate", `Bearer error="invalid_token", error_description=`+strconv.Quote(msg))
}

// Authenticate runs the JWT step of the pipeline on the request headers.
func (a *Authenticator) Authenticate(h http.Header) (*Result, *apierr.Error) {
	token, ok := BearerToken(h)
	var claims map[string]any
	if ok {
		if a.cfg.Keys == nil { // an empty JWKS is a secret with no usable key
			return nil, apierr.New(500, "PGRST300", "Server lacks JWT secret", "", "")
		}
		var e *apierr.Error
		if a.cache != nil {
			claims, e = a.cache.Get(token, a.decode)
		} else {
			claims, e = a.decode(token)
		}
		if e != nil {
			return nil, e
		}
		if e := a.validate(claims); e != nil {
			return nil, e
		}
	} else {
		claims = map[string]any{}
	}
	role := ""
	if v, found := a.cfg.RoleClaim.Eval(claims); found {
		if s, isStr := v.(string); isStr {
			role = s
		} else {
			b, _ := json.Marshal(v)
			role = string(b)
		}
	} else if a.cfg.AnonRole != "" {
		role = a.cfg.AnonRole
	} else {
		e := apierr.New(401, "PGRST302", "Anonymous access is disabled", "", "")
		return nil, e.WithHeader("WWW-Authenticate", "Bearer")
	}
	encode := func() string { return claimsJSON(claims, role) }
	res := &Result{Claims: claims, Role: role}
	if ok && a.cache != nil {
		res.ClaimsJSON = a.cache.claimsJSON(token, role, encode)
	} else {
		res.ClaimsJSON = encode()
	}
	return res, nil
}

// claimsJSON encodes the claims with "role" set to role (PreQuery.hs
// claimsSql inserts the role).
func claimsJSON(claims map[string]any, role string) string {
	m := make(map[string]any, len(claims)+1)
	for k, v := range claims {
		m[k] = v
	}
	m["role"] = role
	var sb strings.Builder
	enc := json.NewEncoder(&sb)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(m); err != nil {
		return "{}"
	}
	return strings.TrimSuffix(sb.String(), "\n")
}

var b64 = base64.RawURLEncoding

// knownJWSAlgs are the JWS algorithms jose-jwt's header parser accepts.
var knownJWSAlgs = map[string]bool{
	"HS256": true, "HS384": true, "HS512": true, "RS256": true, "RS384": true, "RS512": true,
	"ES256": true, "ES384": true, "ES512": true, "EdDSA": true,
}

// decodeSeg decodes one segment as jose-jwt does: unpadded base64url only.
func decodeSeg(s string) ([]byte, error) { return b64.DecodeString(s) }

// decode checks the structure and signature and parses the claims. It is
// what the cache stores (only successes are cached).
func (a *Authenticator) decode(token string) (map[string]any, *apierr.Error) {
	if token == "" {
		return nil, jwtErr("PGRST301", "Empty JWT is sent in Authorization header", "")
	}
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return nil, jwtErr("PGRST301", fmt.Sprintf("Expected 3 parts in JWT; got %d", len(parts)), "")
	}
	cryptoFail := jwtErr("PGRST301", "JWT cryptographic operation failed", "")
	hdrRaw, err := decodeSeg(parts[0])
	if err != nil {
		return nil, cryptoFail
	}
	var hdr map[string]any
	if err := json.Unmarshal(hdrRaw, &hdr); err != nil {
		return nil, cryptoFail
	}
	// jose-jwt parses header, payload and signature first; any failure
	// there (bad base64, bad JSON, unknown alg) is BadCrypto.
	alg, _ := hdr["alg"].(string)
	payload, err := decodeSeg(parts[1])
	if err != nil {
		return nil, cryptoFail
	}
	if alg == "none" {
		return nil, jwtErr("PGRST301", "Wrong or unsupported encoding algorithm", "JWT is unsecured but expected 'alg' was not 'none'")
	}
	if !knownJWSAlgs[alg] {
		return nil, cryptoFail
	}
	sig, err := decodeSeg(parts[2])
	if err != nil {
		return nil, cryptoFail
	}
	// jose-jwt decode: the keys that can decode this header, then the
	// first one whose signature verifies.
	var kid *string
	if v, present := hdr["kid"]; present {
		s, _ := v.(string)
		kid = &s
	}
	candidates := 0
	verified := false
	for i := range a.cfg.Keys {
		k := &a.cfg.Keys[i]
		if !k.canDecode(alg, kid) {
			continue
		}
		candidates++
		if k.verify(alg, parts[0]+"."+parts[1], sig) {
			verified = true
			break
		}
	}
	if candidates == 0 {
		return nil, jwtErr("PGRST301", "No suitable key or wrong key type", "No suitable key was found to decode the JWT")
	}
	if !verified {
		return nil, jwtErr("PGRST301", "No suitable key or wrong key type", "None of the keys was able to decode the JWT")
	}
	var claims map[string]any
	dec := json.NewDecoder(bytes.NewReader(payload))
	dec.UseNumber()
	if err := dec.Decode(&claims); err != nil || claims == nil || dec.More() {
		return nil, jwtErr("PGRST303", "Parsing claims failed", "")
	}
	return claims, nil
}

// claimTime converts a numeric claim like Data.Scientific's
// toBoundedInteger: non-integers (and out-of-range values) become 0.
func claimTime(n json.Number) int64 {
	if i, err := strconv.ParseInt(n.String(), 10, 64); err == nil {
		return i
	}
	f, err := strconv.ParseFloat(n.String(), 64)
	if err != nil || f != math.Trunc(f) || math.Abs(f) > math.MaxInt64 {
		return 0
	}
	return int64(f)
}

// validate runs the time and audience checks, every request, first failure
// wins, in the order exp, nbf, iat, aud.
func (a *Authenticator) validate(claims map[string]any) *apierr.Error {
	now := a.now().Unix()
	timeClaim := func(name string) (int64, bool, *apierr.Error) {
		v, ok := claims[name]
		if !ok || v == nil {
			return 0, false, nil
		}
		n, isNum := v.(json.Number)
		if !isNum {
			return 0, false, jwtErr("PGRST303", fmt.Sprintf("The JWT '%s' claim must be a number", name), "")
		}
		return claimTime(n), true, nil
	}
	if t, ok, e := timeClaim("exp"); e != nil {
		return e
	} else if ok && now-Leeway > t {
		return jwtErr("PGRST303", "JWT expired", "")
	}
	if t, ok, e := timeClaim("nbf"); e != nil {
		return e
	} else if ok && now+Leeway < t {
		return jwtErr("PGRST303", "JWT not yet valid", "")
	}
	if t, ok, e := timeClaim("iat"); e != nil {
		return e
	} else if ok && now+Leeway < t {
		return jwtErr("PGRST303", "JWT issued at future", "")
	}
	if v, ok := claims["aud"]; ok && v != nil {
		notAud := jwtErr("PGRST303", "The JWT 'aud' claim must be a string or an array of strings", "")
		matches := func(s string) bool { return a.cfg.Audience == "" || s == a.cfg.Audience }
		switch x := v.(type) {
		case string:
			if !matches(x) {
				return jwtErr("PGRST303", "JWT not in audience", "")
			}
		case []any:
			strs := make([]string, 0, len(x))
			for _, el := range x {
				s, isStr := el.(string)
				if !isStr {
					return notAud
				}
				strs = append(strs, s)
			}
			if len(strs) > 0 {
				found := false
				for _, s := range strs {
					if matches(s) {
						found = true
						break
					}
				}
				if !found {
					return jwtErr("PGRST303", "JWT not in audience", "")
				}
			}
		default:
			return notAud
		}
	}
	return nil
}
