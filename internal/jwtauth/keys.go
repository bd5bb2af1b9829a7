package jwtauth

import (
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"net/http"
	"strings"

	"github.com/caddyserver/caddy/v2"
	"github.com/lestrrat-go/jwx/v2/jwa"
	"github.com/lestrrat-go/jwx/v2/jws"
)

const pemPublicKeyMarker = "-----BEGIN PUBLIC KEY-----"

// parseSignKey resolves global placeholders ({env.X}, {file.X}, …) in the
// configured key, then returns the DER bytes of a PEM public key (pemKey
// true) or the base64-decoded bytes of anything else.
func parseSignKey(configured string) (key []byte, pemKey bool, err error) {
	resolved := caddy.NewReplacer().ReplaceAll(configured, "")
	if resolved == "" {
		return nil, false, ErrMissingKeys
	}
	if strings.Contains(resolved, pemPublicKeyMarker) {
		key, err = parsePEMFormattedPublicKey(resolved)
		return key, true, err
	}
	key, err = base64.StdEncoding.DecodeString(resolved)
	return key, false, err
}

// parsePEMFormattedPublicKey returns the DER bytes of the first PEM block,
// which must be a "PUBLIC KEY" block.
func parsePEMFormattedPublicKey(s string) ([]byte, error) {
	block, _ := pem.Decode([]byte(s))
	if block == nil || block.Type != "PUBLIC KEY" {
		return nil, ErrInvalidPublicKey
	}
	return block.Bytes, nil
}

var (
	errEdDSAKeyNotRaw    = errors.New("EdDSA key must be base64 encoded bytes")
	errEdDSAKeyBadLength = errors.New("key is not a proper ed25519 length")
)

// keyProvider hands jwx the algorithm and key for each signature.
//
//   - JWK mode: the key whose kid matches the header's; algorithm from the
//     JWK's alg, else the header's, else sign_alg.
//   - sign_alg EdDSA: always EdDSA with the raw 32-byte key.
//   - otherwise: the header's alg if present, else sign_alg, with the
//     configured key. The key's Go type (HMAC []byte vs public key) is what
//     stops algorithm confusion; jwx has no verifier for "none".
func (ja *JWTAuth) keyProvider(r *http.Request) jws.KeyProviderFunc {
	return func(_ context.Context, sink jws.KeySink, sig *jws.Signature, _ *jws.Message) error {
		hdr := sig.ProtectedHeaders()
		switch {
		case ja.usingJWK():
			key, err := ja.lookupJWK(r, hdr.KeyID())
			if err != nil {
				return err
			}
			sink.Key(ja.determineSigningAlgorithm(key.Algorithm(), hdr.Algorithm()), key)
		case ja.SignAlgorithm == jwa.EdDSA.String():
			raw, ok := ja.parsedSignKey.([]byte)
			if !ok {
				return errEdDSAKeyNotRaw
			}
			if len(raw) != ed25519.PublicKeySize {
				return errEdDSAKeyBadLength
			}
			sink.Key(jwa.EdDSA, ed25519.PublicKey(raw))
		default:
			sink.Key(ja.determineSigningAlgorithm(hdr.Algorithm()), ja.parsedSignKey)
		}
		return nil
	}
}

// determineSigningAlgorithm returns the first non-empty algorithm, falling
// back to sign_alg (which may be empty too).
func (ja *JWTAuth) determineSigningAlgorithm(algs ...jwa.KeyAlgorithm) jwa.SignatureAlgorithm {
	for _, a := range algs {
		if s := a.String(); s != "" {
			return jwa.SignatureAlgorithm(s)
		}
	}
	return jwa.SignatureAlgorithm(ja.SignAlgorithm)
}
