// Package caddyrun runs real Caddy in this process with the standard
// modules and the project's jwtauth module compiled in. It adapts
// Caddyfiles, checks that the secrets a jwtauth sign_key reads from the
// environment are usable (naming the variable when not), and loads or
// stops the configuration.
package caddyrun

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/caddyconfig"

	// Caddy's standard modules (http, tls, reverse_proxy, file_server, …).
	_ "github.com/caddyserver/caddy/v2/modules/standard"

	// The caddy-jwt-compatible provider and its jwtauth directive.
	_ "github.com/authstack/authstack/internal/jwtauth"
)

// Adapt converts the Caddyfile at path to Caddy's JSON config. Imports are
// resolved relative to the file, as `caddy adapt` does.
func Adapt(path string) ([]byte, []caddyconfig.Warning, error) {
	body, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, err
	}
	return AdaptBytes(body, path)
}

// AdaptBytes converts Caddyfile text to JSON; filename names it in errors
// and anchors relative imports.
func AdaptBytes(body []byte, filename string) ([]byte, []caddyconfig.Warning, error) {
	adapter := caddyconfig.GetAdapter("caddyfile")
	if adapter == nil {
		return nil, nil, errors.New("caddyfile adapter is not registered")
	}
	abs, err := filepath.Abs(filename)
	if err != nil {
		return nil, nil, err
	}
	cfg, warnings, err := adapter.Adapt(body, map[string]any{"filename": abs})
	if err != nil {
		return nil, warnings, fmt.Errorf("adapting %s: %w", filename, err)
	}
	return cfg, warnings, nil
}

var (
	envPlaceholder  = regexp.MustCompile(`\{env\.([^{}]+)\}`)
	filePlaceholder = regexp.MustCompile(`\{file\.([^{}]+)\}`)
)

// CheckSignKeys finds every jwtauth provider in a JSON config and checks
// that a sign_key built from {env.NAME} placeholders resolves to something
// the module accepts: non-empty and, unless PEM, standard padded base64; a
// sign_key read from {file.PATH} must not come out empty.
// The error names the environment variable and never contains its value.
// Providers using skip_verification or jwk_url (without sign_key) are not
// checked. The module itself reports the same problems at load time, with
// caddy-jwt's wording ("invalid sign_key: …"), which does not name the
// variable; this check exists so the operator sees which one to fix.
func CheckSignKeys(cfg []byte) error {
	var root any
	if err := json.Unmarshal(cfg, &root); err != nil {
		return fmt.Errorf("config is not valid JSON: %w", err)
	}
	var errs []error
	walkJWTProviders(root, func(p map[string]any) {
		if skip, _ := p["skip_verification"].(bool); skip {
			return
		}
		key, _ := p["sign_key"].(string)
		names := envNames(key)
		if len(names) == 0 {
			if files := filePlaceholder.FindAllStringSubmatch(key, -1); len(files) > 0 &&
				caddy.NewReplacer().ReplaceAll(key, "") == "" {
				errs = append(errs, fmt.Errorf("jwtauth's sign_key %s is empty: the file %s is missing, unreadable or empty", key, files[0][1]))
			}
			return
		}
		vars := strings.Join(names, ", ")
		resolved := caddy.NewReplacer().ReplaceAll(key, "")
		if resolved == "" {
			errs = append(errs, fmt.Errorf("%s is not set or empty: jwtauth's sign_key %s needs the base64-encoded JWT secret (e.g. `openssl rand -base64 32`)", vars, key))
			return
		}
		if strings.Contains(resolved, "-----BEGIN PUBLIC KEY-----") {
			return
		}
		if _, err := base64.StdEncoding.DecodeString(resolved); err != nil {
			errs = append(errs, fmt.Errorf("%s is not valid base64 (standard alphabet with = padding, as jwtauth's sign_key %s requires): %v", vars, key, err))
		}
	})
	return errors.Join(errs...)
}

func envNames(s string) []string {
	seen := map[string]bool{}
	var out []string
	for _, m := range envPlaceholder.FindAllStringSubmatch(s, -1) {
		if !seen[m[1]] {
			seen[m[1]] = true
			out = append(out, m[1])
		}
	}
	sort.Strings(out)
	return out
}

// walkJWTProviders calls fn for every {"providers":{"jwt":{…}}} object.
func walkJWTProviders(v any, fn func(map[string]any)) {
	switch v := v.(type) {
	case map[string]any:
		if provs, ok := v["providers"].(map[string]any); ok {
			if jwt, ok := provs["jwt"].(map[string]any); ok {
				fn(jwt)
			}
		}
		for _, c := range v {
			walkJWTProviders(c, fn)
		}
	case []any:
		for _, c := range v {
			walkJWTProviders(c, fn)
		}
	}
}

// Load checks the sign keys and then loads cfg as Caddy's running
// configuration, replacing any previous one.
func Load(cfg []byte) error {
	if err := CheckSignKeys(cfg); err != nil {
		return err
	}
	return caddy.Load(cfg, true)
}

// LoadCaddyfile adapts the Caddyfile at path and loads it.
func LoadCaddyfile(path string) error {
	cfg, _, err := Adapt(path)
	if err != nil {
		return err
	}
	return Load(cfg)
}

// Stop stops the running configuration, if any.
func Stop() error { return caddy.Stop() }
