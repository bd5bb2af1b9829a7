package migrations

import (
	"encoding/base64"
	"errors"
	"fmt"
	"math"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// Template variables. Migrations write them as {{NAME}} outside of quoted
// text and dollar-quoted bodies; each is replaced by a SQL string literal.
const (
	VarJWTSecret             = "JWT_SECRET"
	VarAuthenticatorPassword = "AUTHENTICATOR_PASSWORD"
	// VarAPIStatementTimeout is the statement_timeout of the request roles
	// (migration 0005); empty means 10s. Not a secret.
	VarAPIStatementTimeout = "API_STATEMENT_TIMEOUT"
)

// AllowedVars is the allow-list of template variables.
var AllowedVars = []string{VarJWTSecret, VarAuthenticatorPassword, VarAPIStatementTimeout}

// MinSecretBytes is the shortest JWT secret accepted (decoded length).
const MinSecretBytes = 32

// ErrSecretMissing says which command fixes a missing secret.
var ErrSecretMissing = errors.New("JWT_SECRET is not set: run `stackctl secret gen` to write one into .env (or export JWT_SECRET)")

// ValidateSecret checks that s is standard padded base64 of at least 32
// bytes. The error never contains s.
func ValidateSecret(s string) error {
	if s == "" {
		return ErrSecretMissing
	}
	b, err := base64.StdEncoding.Strict().DecodeString(s)
	if err != nil {
		return errors.New("JWT_SECRET is not standard base64 (caddy-jwt and PGRST_JWT_SECRET_IS_BASE64=true need it): run `stackctl secret gen --force` to replace it")
	}
	if len(b) < MinSecretBytes {
		return fmt.Errorf("JWT_SECRET decodes to %d bytes, at least %d are needed: run `stackctl secret gen --force` to replace it", len(b), MinSecretBytes)
	}
	return nil
}

// VarsFromEnv collects the allowed variables with getenv (e.g. os.Getenv).
func VarsFromEnv(getenv func(string) string) map[string]string {
	vars := map[string]string{}
	for _, k := range AllowedVars {
		vars[k] = getenv(k)
	}
	return vars
}

// CheckVars validates vars for `migrate up`: only allowed names, and a
// valid JWT_SECRET.
func CheckVars(vars map[string]string) error {
	for k := range vars {
		if !allowed(k) {
			return fmt.Errorf("template variable %s is not allowed (allowed: %s)", k, strings.Join(AllowedVars, ", "))
		}
	}
	if err := ValidateStatementTimeout(vars[VarAPIStatementTimeout]); err != nil {
		return err
	}
	return ValidateSecret(vars[VarJWTSecret])
}

var timeoutRe = regexp.MustCompile(`^(0|[1-9][0-9]{0,8}(ms|s|min|h)?)$`)

// ValidateStatementTimeout accepts "" (the default, 10s), "0" (no timeout)
// or a positive integer with an optional unit ms, s, min or h (none =
// milliseconds, as PostgreSQL) of at most PostgreSQL's limit, 2147483647 ms.
func ValidateStatementTimeout(v string) error {
	if v == "" {
		return nil
	}
	m := timeoutRe.FindStringSubmatch(v)
	if m == nil {
		return fmt.Errorf("API_STATEMENT_TIMEOUT=%q is not a duration PostgreSQL accepts here: use e.g. 10s, 500ms, 2min, or 0 for none", v)
	}
	n, _ := strconv.ParseInt(strings.TrimSuffix(v, m[2]), 10, 64)
	ms := n * map[string]int64{"": 1, "ms": 1, "s": 1000, "min": 60000, "h": 3600000}[m[2]]
	if ms > math.MaxInt32 {
		return fmt.Errorf("API_STATEMENT_TIMEOUT=%q is over PostgreSQL's limit of 2147483647ms (about 24 days): use a shorter one", v)
	}
	return nil
}

func allowed(name string) bool {
	for _, a := range AllowedVars {
		if a == name {
			return true
		}
	}
	return false
}

// QuoteLiteral returns s as a SQL string literal that is correct whatever
// standard_conforming_strings is.
func QuoteLiteral(s string) string {
	if strings.ContainsRune(s, '\\') {
		return "E'" + strings.ReplaceAll(strings.ReplaceAll(s, `\`, `\\`), "'", "''") + "'"
	}
	return "'" + strings.ReplaceAll(s, "'", "''") + "'"
}

var (
	placeholderRe = regexp.MustCompile(`^\{\{([A-Za-z_][A-Za-z0-9_]*)\}\}`)
	dollarTagRe   = regexp.MustCompile(`^\$([A-Za-z_][A-Za-z0-9_]*)?\$`)
)

// Render replaces each {{NAME}} in sql that is outside string literals,
// quoted identifiers, comments and dollar-quoted bodies by
// QuoteLiteral(vars[NAME]). NAME must be in AllowedVars and present in vars
// (an empty value is allowed; JWT_SECRET is checked by CheckVars). Nothing
// else changes: `$` sequences are never expanded.
func Render(sql string, vars map[string]string) (string, error) {
	var b strings.Builder
	b.Grow(len(sql))
	i := 0
	for i < len(sql) {
		c := sql[i]
		switch {
		case c == '\'' || c == '"':
			j := skipQuoted(sql, i, c)
			b.WriteString(sql[i:j])
			i = j
		case c == '-' && strings.HasPrefix(sql[i:], "--"):
			j := strings.IndexByte(sql[i:], '\n')
			if j < 0 {
				j = len(sql) - i
			}
			b.WriteString(sql[i : i+j])
			i += j
		case c == '/' && strings.HasPrefix(sql[i:], "/*"):
			j := strings.Index(sql[i+2:], "*/")
			if j < 0 {
				j = len(sql) - i
			} else {
				j += 4
			}
			b.WriteString(sql[i : i+j])
			i += j
		case c == '$':
			tag := dollarTagRe.FindString(sql[i:])
			if tag == "" || (i > 0 && isIdentChar(sql[i-1])) {
				b.WriteByte(c)
				i++
				continue
			}
			end := strings.Index(sql[i+len(tag):], tag)
			if end < 0 {
				return "", fmt.Errorf("unterminated dollar-quoted string %s", tag)
			}
			j := i + len(tag) + end + len(tag)
			b.WriteString(sql[i:j])
			i = j
		case c == '{' && strings.HasPrefix(sql[i:], "{{"):
			m := placeholderRe.FindStringSubmatch(sql[i:])
			if m == nil {
				return "", fmt.Errorf("malformed template placeholder near %q", excerpt(sql[i:]))
			}
			name := m[1]
			if !allowed(name) {
				return "", fmt.Errorf("template variable %s is not allowed (allowed: %s)", name, strings.Join(AllowedVars, ", "))
			}
			v, ok := vars[name]
			if !ok {
				return "", fmt.Errorf("template variable %s is not set", name)
			}
			b.WriteString(QuoteLiteral(v))
			i += len(m[0])
		default:
			b.WriteByte(c)
			i++
		}
	}
	return b.String(), nil
}

// Placeholders lists the variables sql uses (outside quoted text), sorted.
func Placeholders(sql string) []string {
	probe := map[string]string{}
	for _, k := range AllowedVars {
		probe[k] = "\x00" + k + "\x00"
	}
	out, err := Render(sql, probe)
	if err != nil {
		return nil
	}
	var names []string
	for _, k := range AllowedVars {
		if strings.Contains(out, probe[k]) {
			names = append(names, k)
		}
	}
	sort.Strings(names)
	return names
}

func skipQuoted(s string, i int, q byte) int {
	j := i + 1
	for j < len(s) {
		if s[j] == q {
			if j+1 < len(s) && s[j+1] == q {
				j += 2
				continue
			}
			return j + 1
		}
		if q == '\'' && s[j] == '\\' && i > 0 && (s[i-1] == 'E' || s[i-1] == 'e') {
			j += 2
			continue
		}
		j++
	}
	return len(s)
}

func isIdentChar(c byte) bool {
	return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

func excerpt(s string) string {
	if len(s) > 20 {
		return s[:20]
	}
	return s
}

// Redactor replaces secret values in text (error messages, logs).
type Redactor struct{ values []string }

// NewRedactor redacts the values of vars (those of 4 bytes or more, so that
// short values do not mangle messages) and their quoted forms.
func NewRedactor(vars map[string]string) *Redactor {
	r := &Redactor{}
	for k, v := range vars {
		if k == VarAPIStatementTimeout {
			continue // not a secret
		}
		if len(v) >= 4 {
			r.values = append(r.values, QuoteLiteral(v), v)
		}
	}
	sort.Slice(r.values, func(i, j int) bool { return len(r.values[i]) > len(r.values[j]) })
	return r
}

// String returns s with every secret value replaced by [REDACTED].
func (r *Redactor) String(s string) string {
	if r == nil {
		return s
	}
	for _, v := range r.values {
		s = strings.ReplaceAll(s, v, "[REDACTED]")
	}
	return s
}
