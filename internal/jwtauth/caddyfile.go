package jwtauth

import (
	"fmt"
	"strings"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/caddyconfig"
	"github.com/caddyserver/caddy/v2/caddyconfig/httpcaddyfile"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp/caddyauth"
)

func init() {
	// Like caddy-jwt, no directive order is registered: use jwtauth inside
	// a route block or with the `order` global option.
	httpcaddyfile.RegisterHandlerDirective("jwtauth", parseCaddyfile)
}

// parseCaddyfile turns
//
//	jwtauth [<matcher>] {
//	    sign_key           <key>
//	    sign_alg           <alg>
//	    jwk_url            <url>
//	    skip_verification
//	    from_query         <name...>
//	    from_header        <name...>
//	    from_cookies       <name...>
//	    issuer_whitelist   <iss...>
//	    audience_whitelist <aud...>
//	    user_claims        <claim...>
//	    meta_claims        <"claim[ -> placeholder]"...>
//	}
//
// into Caddy's authentication handler with this provider under "jwt".
func parseCaddyfile(h httpcaddyfile.Helper) (caddyhttp.MiddlewareHandler, error) {
	var ja JWTAuth
	for h.Next() {
		for h.NextBlock(0) {
			opt := h.Val()
			switch opt {
			case "sign_key":
				if !h.AllArgs(&ja.SignKey) {
					return nil, h.Errf("invalid sign_key: %q", ja.SignKey)
				}
			case "sign_alg":
				if !h.AllArgs(&ja.SignAlgorithm) {
					return nil, h.Errf("invalid sign_alg: %q", ja.SignAlgorithm)
				}
			case "jwk_url":
				if !h.AllArgs(&ja.JWKURL) {
					return nil, h.Errf("invalid jwk_url: %q", ja.JWKURL)
				}
			case "skip_verification":
				ja.SkipVerification = true
			case "from_query":
				ja.FromQuery = h.RemainingArgs()
			case "from_header":
				ja.FromHeader = h.RemainingArgs()
			case "from_cookies":
				ja.FromCookies = h.RemainingArgs()
			case "issuer_whitelist":
				ja.IssuerWhitelist = h.RemainingArgs()
			case "audience_whitelist":
				ja.AudienceWhitelist = h.RemainingArgs()
			case "user_claims":
				ja.UserClaims = h.RemainingArgs()
			case "meta_claims":
				ja.MetaClaims = map[string]string{}
				for _, arg := range h.RemainingArgs() {
					claim, placeholder, err := parseMetaClaim(arg)
					if err != nil {
						return nil, h.Errf("invalid meta_claims: %w", err)
					}
					if _, dup := ja.MetaClaims[claim]; dup {
						return nil, h.Errf("invalid meta_claims: duplicate claim: %s", claim)
					}
					ja.MetaClaims[claim] = placeholder
				}
			case "header_first":
				return nil, h.Err("option header_first deprecated, the priority now defaults to from_query > from_header > from_cookies")
			default:
				return nil, h.Errf("unrecognized option: %s", opt)
			}
		}
	}
	return caddyauth.Authentication{
		ProvidersRaw: caddy.ModuleMap{"jwt": caddyconfig.JSON(ja, nil)},
	}, nil
}

// parseMetaClaim parses "claim" or "claim -> placeholder".
func parseMetaClaim(arg string) (claim, placeholder string, err error) {
	parts := strings.Split(arg, "->")
	switch len(parts) {
	case 1:
		claim = strings.TrimSpace(parts[0])
		placeholder = claim
	case 2:
		claim, placeholder = strings.TrimSpace(parts[0]), strings.TrimSpace(parts[1])
	default:
		return "", "", fmt.Errorf("too many delimiters (->) in key %q", arg)
	}
	if claim == "" {
		return "", "", fmt.Errorf("empty claim in key %q", arg)
	}
	if placeholder == "" {
		return "", "", fmt.Errorf("empty placeholder in key %q", arg)
	}
	return claim, placeholder, nil
}
