// Package dotenv edits .env files in place: it changes the value of one
// variable and keeps every other line, comment and blank line as it was.
// (Reading .env into the environment is godotenv's job, in cmdutil.)
package dotenv

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
)

// File is a .env file as lines.
type File struct {
	Path  string
	lines []string
}

var assignRe = regexp.MustCompile(`^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=(.*)$`)

// Load reads path. A missing file gives fs.ErrNotExist.
func Load(path string) (*File, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return Parse(path, b), nil
}

// Parse splits b into lines.
func Parse(path string, b []byte) *File {
	s := strings.ReplaceAll(string(b), "\r\n", "\n")
	s = strings.TrimSuffix(s, "\n")
	f := &File{Path: path}
	if s != "" {
		f.lines = strings.Split(s, "\n")
	}
	return f
}

// LoadOrCreate loads path; when it is missing, it starts from template (e.g.
// .env.example) when that exists, else from an empty file. created reports
// which happened; nothing is written until Save.
func LoadOrCreate(path, template string) (f *File, created bool, err error) {
	f, err = Load(path)
	if err == nil {
		return f, false, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return nil, false, err
	}
	if template != "" {
		if b, terr := os.ReadFile(template); terr == nil {
			return Parse(path, b), true, nil
		} else if !errors.Is(terr, fs.ErrNotExist) {
			return nil, false, terr
		}
	}
	return &File{Path: path}, true, nil
}

// Get returns the value of key (the last assignment wins, as in godotenv)
// and whether it is assigned at all.
func (f *File) Get(key string) (string, bool) {
	val, ok := "", false
	for _, l := range f.lines {
		if m := assignRe.FindStringSubmatch(l); m != nil && m[1] == key {
			val, ok = unquote(m[2]), true
		}
	}
	return val, ok
}

// Set assigns key=value: the last existing assignment is rewritten in
// place (keeping an `export ` prefix), others are left alone; a new key is
// appended. Values with spaces, quotes or # are single-quoted.
func (f *File) Set(key, value string) {
	line := key + "=" + quote(value)
	for i := len(f.lines) - 1; i >= 0; i-- {
		if m := assignRe.FindStringSubmatch(f.lines[i]); m != nil && m[1] == key {
			if strings.HasPrefix(strings.TrimSpace(f.lines[i]), "export ") {
				line = "export " + line
			}
			f.lines[i] = line
			return
		}
	}
	f.lines = append(f.lines, line)
}

// Bytes renders the file.
func (f *File) Bytes() []byte {
	var b bytes.Buffer
	for _, l := range f.lines {
		b.WriteString(l)
		b.WriteByte('\n')
	}
	return b.Bytes()
}

// Save writes the file atomically (temporary file + rename) with mode 0600.
func (f *File) Save() error {
	dir := filepath.Dir(f.Path)
	tmp, err := os.CreateTemp(dir, ".env.tmp-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return err
	}
	if _, err := tmp.Write(f.Bytes()); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), f.Path); err != nil {
		return fmt.Errorf("write %s: %w", f.Path, err)
	}
	return nil
}

func unquote(v string) string {
	v = strings.TrimSpace(v)
	if len(v) >= 2 && (v[0] == '"' || v[0] == '\'') {
		q := v[0]
		if end := strings.IndexByte(v[1:], q); end >= 0 {
			inner := v[1 : 1+end]
			if q == '"' {
				inner = strings.NewReplacer(`\n`, "\n", `\"`, `"`, `\\`, `\`).Replace(inner)
			}
			return inner
		}
	}
	// unquoted: an inline comment starts at " #"
	if i := strings.Index(v, " #"); i >= 0 {
		v = strings.TrimSpace(v[:i])
	}
	return v
}

func quote(v string) string {
	if v == "" || !strings.ContainsAny(v, " \t#'\"\\$`\n") {
		return v
	}
	if !strings.ContainsAny(v, "'\n") {
		return "'" + v + "'"
	}
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`).Replace(v) + `"`
}
