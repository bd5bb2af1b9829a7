package auth

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

func mintRaw(header, claims []byte) string {
	in := base64.RawURLEncoding.EncodeToString(header) + "." + base64.RawURLEncoding.EncodeToString(claims)
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(in))
	return in + "." + base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// FuzzAuthenticate: any Authorization header, and any header/claims pair
// signed with the right key, is either a result or a PostgREST JWT error
// (401 PGRST301/302/303); a correctly signed object of claims comes back
// as it was sent, and the claims cache answers like a fresh decode.
func FuzzAuthenticate(f *testing.F) {
	f.Add("Bearer a.b.c", []byte(`{"alg":"HS256","typ":"JWT"}`), []byte(`{"role":"r","exp":9999999999}`))
	f.Add("bearer   x", []byte(`{"alg":"HS256","kid":"k"}`), []byte(`{"role":{"a":1}}`))
	f.Add("Basic dTpw", []byte(`{"alg":"none"}`), []byte(`{"aud":["x","y"],"nbf":1.5}`))
	f.Add("Bearer ", []byte(`{"alg":"RS256"}`), []byte(`[]`))
	keys, err := ParseSecret(secret)
	if err != nil {
		f.Fatal(err)
	}
	cfg := Config{Secret: secret, Keys: keys, RoleClaim: MustParsePath("$.role"), AnonRole: "anon", CacheMaxEntries: 10}
	f.Fuzz(func(t *testing.T, authz string, header, claims []byte) {
		cached, fresh := New(cfg), New(Config{Secret: secret, Keys: keys, RoleClaim: cfg.RoleClaim, AnonRole: "anon"})
		for _, h := range []string{authz, "Bearer " + mintRaw(header, claims)} {
			r1, e1 := cached.Authenticate(hdr(h))
			r2, e2 := cached.Authenticate(hdr(h)) // from the cache when cached
			r3, e3 := fresh.Authenticate(hdr(h))
			if !reflect.DeepEqual(r1, r2) || !reflect.DeepEqual(r1, r3) || !reflect.DeepEqual(e1, e2) || !reflect.DeepEqual(e1, e3) {
				t.Fatalf("cache changes the answer: %v %v / %v %v / %v %v", r1, e1, r2, e2, r3, e3)
			}
			if e1 != nil {
				if e1.Status != 401 || !strings.HasPrefix(e1.Code, "PGRST30") {
					t.Fatalf("unexpected error %d %s %s", e1.Status, e1.Code, e1.Message)
				}
				continue
			}
			if r1 == nil || r1.Claims == nil {
				t.Fatal("neither a result nor an error")
			}
		}
		// correctly signed claims that verify come back unchanged
		r, e := fresh.Authenticate(hdr("Bearer " + mintRaw(header, claims)))
		if e == nil && len(r.Claims) > 0 {
			var want map[string]any
			dec := json.NewDecoder(bytes.NewReader(claims))
			dec.UseNumber()
			if err := dec.Decode(&want); err != nil || !reflect.DeepEqual(want, r.Claims) {
				t.Fatalf("claims %s came back as %v", claims, r.Claims)
			}
		}
	})
}

// FuzzParsePath: any jwt-role-claim-key either parses, and then evaluates
// on any claims without panicking, or is an error.
func FuzzParsePath(f *testing.F) {
	for _, s := range []string{"$.role", ".role", `$."https://x".role`, "$.roles[0]", "$.a.b[-1]", `$."a\"b"`, "$"} {
		f.Add(s)
	}
	claims := map[string]any{"role": "r", "roles": []any{"a", "b"}, "a": map[string]any{"b": []any{1.0}}, "https://x": map[string]any{"role": "x"}}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := ParsePath(s)
		if err != nil {
			return
		}
		_, _ = p.Eval(claims)
	})
}
