package auth

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/json"
	"errors"
	"hash"
	"math/big"

	"github.com/lestrrat-go/jwx/v2/jwk"
)

// Key is one verification key: a JWK from jwt-secret, or the plain secret
// as a symmetric HS256 key without kid (Config.hs parseSecret@v16.2).
type Key struct {
	Kid    *string // nil = no "kid"
	Alg    string  // "" = any compatible algorithm
	Enc    bool    // "use": "enc" (never used for signatures)
	Secret []byte  // oct keys
	Public crypto.PublicKey
}

// ErrShortSecret is PostgREST's startup error for a plain secret.
var ErrShortSecret = errors.New("The JWT secret must be at least 32 characters long.")

// ParseSecret turns the (already base64-decoded) jwt-secret into keys the
// way PostgREST v16.2 does: a JWKS ({"keys":[…]}) first, then a single
// JWK, else a plain secret of at least 32 bytes used for HS256.
func ParseSecret(b []byte) ([]Key, error) {
	var set struct {
		Keys []json.RawMessage `json:"keys"`
	}
	if json.Unmarshal(b, &set) == nil && set.Keys != nil {
		keys := []Key{} // an empty set stays a (useless) key set
		ok := true
		for _, raw := range set.Keys {
			k, err := parseJWK(raw)
			if err != nil {
				ok = false
				break
			}
			keys = append(keys, k)
		}
		if ok {
			return keys, nil
		}
	}
	if k, err := parseJWK(b); err == nil {
		return []Key{k}, nil
	}
	if len(b) < 32 {
		return nil, ErrShortSecret
	}
	return []Key{{Alg: "HS256", Secret: b}}, nil
}

func parseJWK(b []byte) (Key, error) {
	jk, err := jwk.ParseKey(b)
	if err != nil {
		return Key{}, err
	}
	var k Key
	if id, ok := jk.Get(jwk.KeyIDKey); ok {
		if s, isStr := id.(string); isStr {
			k.Kid = &s
		}
	}
	if a := jk.Algorithm(); a != nil {
		k.Alg = a.String()
	}
	k.Enc = jk.KeyUsage() == "enc"
	var raw any
	if err := jk.Raw(&raw); err != nil {
		return Key{}, err
	}
	switch r := raw.(type) {
	case []byte:
		k.Secret = r
	case *rsa.PrivateKey:
		k.Public = &r.PublicKey
	case *ecdsa.PrivateKey:
		k.Public = &r.PublicKey
	case ed25519.PrivateKey:
		k.Public = r.Public()
	case *rsa.PublicKey, *ecdsa.PublicKey, ed25519.PublicKey:
		k.Public = r
	default:
		return Key{}, errors.New("unsupported JWK")
	}
	return k, nil
}

// canDecode is jose-jwt's canDecodeJws: not an encryption key, matching
// kid when the token names one, matching alg when the key names one, and
// a key type that fits the algorithm.
func (k *Key) canDecode(alg string, kid *string) bool {
	if k.Enc {
		return false
	}
	if kid != nil && (k.Kid == nil || *k.Kid != *kid) {
		return false
	}
	if k.Alg != "" && k.Alg != alg {
		return false
	}
	switch alg {
	case "HS256", "HS384", "HS512":
		return k.Secret != nil
	case "RS256", "RS384", "RS512":
		_, ok := k.Public.(*rsa.PublicKey)
		return ok
	case "ES256", "ES384", "ES512":
		p, ok := k.Public.(*ecdsa.PublicKey)
		return ok && p.Curve == esCurve(alg)
	case "EdDSA":
		_, ok := k.Public.(ed25519.PublicKey)
		return ok
	}
	return false
}

func esCurve(alg string) elliptic.Curve {
	switch alg {
	case "ES256":
		return elliptic.P256()
	case "ES384":
		return elliptic.P384()
	}
	return elliptic.P521()
}

func algHash(alg string) (func() hash.Hash, crypto.Hash) {
	switch alg[2:] {
	case "384":
		return sha512.New384, crypto.SHA384
	case "512":
		return sha512.New, crypto.SHA512
	}
	return sha256.New, crypto.SHA256
}

// verify checks the signature of signed ("header.payload") with k.
func (k *Key) verify(alg, signed string, sig []byte) bool {
	if alg == "EdDSA" {
		return ed25519.Verify(k.Public.(ed25519.PublicKey), []byte(signed), sig)
	}
	newHash, ch := algHash(alg)
	switch alg[:2] {
	case "HS":
		mac := hmac.New(newHash, k.Secret)
		mac.Write([]byte(signed))
		return hmac.Equal(mac.Sum(nil), sig)
	case "RS":
		h := newHash()
		h.Write([]byte(signed))
		return rsa.VerifyPKCS1v15(k.Public.(*rsa.PublicKey), ch, h.Sum(nil), sig) == nil
	case "ES":
		pub := k.Public.(*ecdsa.PublicKey)
		n := (pub.Curve.Params().BitSize + 7) / 8
		if len(sig) != 2*n {
			return false
		}
		h := newHash()
		h.Write([]byte(signed))
		r, s := new(big.Int).SetBytes(sig[:n]), new(big.Int).SetBytes(sig[n:])
		return ecdsa.Verify(pub, h.Sum(nil), r, s)
	}
	return false
}
