package jwtauth

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"
	"github.com/caddyserver/caddy/v2/caddyconfig/httpcaddyfile"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp/caddyauth"
	"github.com/lestrrat-go/jwx/v2/jwa"
	"github.com/lestrrat-go/jwx/v2/jws"
)

// fuzzSecret is the HMAC key of the fuzzed module (base64 in sign_key).
var fuzzSecret = []byte("0123456789abcdef0123456789ABCDEF")

// fuzzToken signs claims with HS256 the way auth.sign_raw does in SQL.
func fuzzToken(claims map[string]any) string {
	enc := base64.RawURLEncoding.EncodeToString
	hdr, _ := json.Marshal(map[string]any{"alg": "HS256", "typ": "JWT"})
	body, _ := json.Marshal(claims)
	signing := enc(hdr) + "." + enc(body)
	m := hmac.New(sha256.New, fuzzSecret)
	m.Write([]byte(signing))
	return signing + "." + enc(m.Sum(nil))
}

// FuzzAuthenticateCookie feeds arbitrary Cookie and Authorization headers
// to the module as the stack configures it (sign_key, HS256, from_cookies
// access_token). Whatever the input, it must not panic, and it may only
// authenticate a request when one of its candidates carries a signature
// made with the configured key and an unexpired exp: a forged, altered or
// expired token never passes.
func FuzzAuthenticateCookie(f *testing.F) {
	good := fuzzToken(map[string]any{"sub": "demo", "role": "basic_subscriber", "exp": time.Now().Add(24 * 365 * time.Hour).Unix()})
	expired := fuzzToken(map[string]any{"sub": "demo", "exp": 1})
	f.Add("access_token="+good, "")
	f.Add("access_token="+expired, "")
	f.Add("a=1; access_token="+good+"; access_token=x", "Bearer "+good)
	f.Add("", "bearer "+good[:len(good)-2])
	f.Add("access_token=eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.", "")
	f.Add("access_token=\"quoted\"", "Bearer ")
	f.Add("access_token="+strings.Repeat("a.", 500), "")
	f.Fuzz(func(t *testing.T, cookie, authz string) {
		ja := &JWTAuth{SignKey: base64.StdEncoding.EncodeToString(fuzzSecret), SignAlgorithm: "HS256", FromCookies: []string{"access_token"}}
		if err := ja.Validate(); err != nil {
			t.Fatal(err)
		}
		r, _ := http.NewRequest(http.MethodGet, "http://localhost/rest/task", nil)
		r.Header.Set("Cookie", cookie)
		r.Header.Set("Authorization", authz)
		user, ok, err := ja.Authenticate(nil, r)
		if !ok {
			if user.ID != "" {
				t.Errorf("refused request carries user %q", user.ID)
			}
			return
		}
		if err != nil || user.ID == "" {
			t.Fatalf("authenticated with err=%v id=%q", err, user.ID)
		}
		for _, raw := range ja.candidates(r) {
			if signedWithSecret(normToken(raw)) {
				return
			}
		}
		t.Fatalf("authenticated %q without a token signed by the key (cookie %q, authorization %q)", user.ID, cookie, authz)
	})
}

// signedWithSecret verifies tok independently of the module: an HMAC
// algorithm named in its header, the fuzz key, and an exp in the future.
func signedWithSecret(tok string) bool {
	msg, err := jws.Parse([]byte(tok))
	if err != nil || len(msg.Signatures()) != 1 {
		return false
	}
	alg := msg.Signatures()[0].ProtectedHeaders().Algorithm()
	if alg != jwa.HS256 && alg != jwa.HS384 && alg != jwa.HS512 {
		return false
	}
	payload, err := jws.Verify([]byte(tok), jws.WithKey(alg, fuzzSecret))
	if err != nil {
		return false
	}
	var claims struct {
		Exp *float64 `json:"exp"`
	}
	if json.Unmarshal(payload, &claims) != nil {
		return false
	}
	return claims.Exp == nil || *claims.Exp > float64(time.Now().Unix()-60)
}

// FuzzParseCaddyfile feeds arbitrary jwtauth blocks to the Caddyfile
// unmarshaler: it must return a handler or an error, never panic, and a
// handler's provider JSON must decode back into the module's config.
func FuzzParseCaddyfile(f *testing.F) {
	f.Add("jwtauth {\n\tsign_key {env.JWT_SECRET}\n\tsign_alg HS256\n\tfrom_cookies access_token\n}")
	f.Add("jwtauth {\n\tjwk_url http://127.0.0.1:9/{tenant}\n\tuser_claims uid sub\n\tmeta_claims \"org.role -> role\" plan\n}")
	f.Add("jwtauth {\n\tissuer_whitelist a b\n\taudience_whitelist c\n\tskip_verification\n\tfrom_query t\n\tfrom_header X-Tok\n}")
	f.Add("jwtauth {\n\tmeta_claims \"a->\" \"->b\" \"a->b->c\"\n}")
	f.Add("jwtauth {\n\tunknown x\n}")
	f.Add("jwtauth extra {\n}")
	f.Add("jwtauth {\n\tsign_key\n}")
	f.Add("jwtauth {\n\tjwtauth {\n\t}\n}")
	f.Fuzz(func(t *testing.T, input string) {
		if len(input) > 64<<10 {
			t.Skip("larger than any Caddyfile block worth parsing")
		}
		h := httpcaddyfile.Helper{Dispenser: caddyfile.NewTestDispenser(input)}
		handler, err := parseCaddyfile(h)
		if err != nil {
			return
		}
		auth, ok := handler.(caddyauth.Authentication)
		if !ok {
			t.Fatalf("handler is %T, want caddyauth.Authentication", handler)
		}
		var got JWTAuth
		if err := json.Unmarshal(auth.ProvidersRaw["jwt"], &got); err != nil {
			t.Fatalf("provider JSON does not decode: %v\n%s", err, auth.ProvidersRaw["jwt"])
		}
	})
}

// The fuzz property is only worth something if a good token passes and a
// forged one does not: check both ends once.
func TestFuzzOracleBothWays(t *testing.T) {
	ja := &JWTAuth{SignKey: base64.StdEncoding.EncodeToString(fuzzSecret), SignAlgorithm: "HS256", FromCookies: []string{"access_token"}}
	if err := ja.Validate(); err != nil {
		t.Fatal(err)
	}
	good := fuzzToken(map[string]any{"sub": "demo", "exp": time.Now().Add(time.Hour).Unix()})
	forged := good[:len(good)-4] + "AAAA"
	for _, c := range []struct {
		tok  string
		want bool
	}{{good, true}, {forged, false}} {
		r, _ := http.NewRequest(http.MethodGet, "http://localhost/", nil)
		r.Header.Set("Cookie", "access_token="+c.tok)
		_, ok, _ := ja.Authenticate(nil, r)
		if ok != c.want || signedWithSecret(c.tok) != c.want {
			t.Errorf("token ok=%v oracle=%v, want %v", ok, signedWithSecret(c.tok), c.want)
		}
	}
}
