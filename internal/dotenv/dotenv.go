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
	"unicode/utf8"

	"github.com/joho/godotenv"
)

// File is a .env file as lines.
type File struct {
	Path  string
	lines []string
}

var keyRe = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

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
// appended. Values are quoted so that godotenv, which loads the file, reads
// them back unchanged; a value it cannot represent is an error and changes
// nothing.
func (f *File) Set(key, value string) error {
	if !keyRe.MatchString(key) {
		return fmt.Errorf("%q is not a variable name (letters, digits and _, not starting with a digit)", key)
	}
	q, err := quote(value)
	if err != nil {
		return fmt.Errorf("%s: %w", key, err)
	}
	line := key + "=" + q
	for i := len(f.lines) - 1; i >= 0; i-- {
		if m := assignRe.FindStringSubmatch(f.lines[i]); m != nil && m[1] == key {
			if strings.HasPrefix(strings.TrimSpace(f.lines[i]), "export ") {
				line = "export " + line
			}
			f.lines[i] = line
			return nil
		}
	}
	f.lines = append(f.lines, line)
	return nil
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

// unquote reads a raw value as godotenv does (quotes, escapes in double
// quotes, " #" comments after bare values), so that Get agrees with what
// the stack loads. References to other variables read as empty.
func unquote(v string) string {
	env, err := godotenv.Unmarshal("V=" + strings.TrimSpace(v))
	if err != nil {
		return strings.TrimSpace(v)
	}
	return env["V"]
}

// quote writes v so that godotenv reads it back: bare when nothing in it
// is special, single-quoted (literal) when it has no ' or newline, else
// double-quoted with \ \" \n and \$ escapes. godotenv's parser treats a
// quote after a backslash as escaped and trims quote characters from the
// ends, so a value that must be double-quoted and ends in " or \, or one
// with CR or NUL, cannot be written.
func quote(v string) (string, error) {
	if strings.ContainsAny(v, "\r\x00") || !utf8.ValidString(v) {
		return "", errors.New("values with carriage returns, NUL bytes or invalid UTF-8 cannot be stored in .env")
	}
	if v == "" || !strings.ContainsAny(v, " \t#'\"\\$`\n") {
		return v, nil
	}
	if strings.HasSuffix(v, `\`) {
		return "", errors.New("a value ending in a backslash cannot be stored in .env")
	}
	if !strings.ContainsAny(v, "'\n") {
		return "'" + v + "'", nil
	}
	if strings.HasSuffix(v, `"`) {
		return "", errors.New(`a value with ' or a newline that ends in " cannot be stored in .env`)
	}
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`, `$`, `\$`).Replace(v) + `"`, nil
}
