// Package cmdutil holds what every stackctl command shares: the IO streams,
// the .env file (loaded with godotenv, variables already in the environment
// win) and the global flags. Commands get a *Factory and stay thin.
package cmdutil

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/joho/godotenv"
)

// DefaultEnvFile is the .env file read when --env-file is not given.
const DefaultEnvFile = ".env"

// Factory is passed to every command constructor.
type Factory struct {
	In     io.Reader
	Out    io.Writer
	ErrOut io.Writer

	// EnvFile is the --env-file flag (default ".env").
	EnvFile string
	// EnvFileExplicit is true when --env-file was given on the command line.
	EnvFileExplicit bool

	envLoaded  bool
	envFound   bool
	projectDir string
	projectErr error
}

// New returns a Factory on the process's standard streams.
func New() *Factory {
	return &Factory{In: os.Stdin, Out: os.Stdout, ErrOut: os.Stderr, EnvFile: DefaultEnvFile}
}

// LoadEnv loads the .env file into the process environment once. Variables
// already set in the environment win over the file. A missing default .env
// is not an error (EnvFound reports it); a missing explicit --env-file is.
func (f *Factory) LoadEnv() error {
	if f.envLoaded {
		return nil
	}
	f.envLoaded = true
	// Without --env-file, .env is the project's, found from any of its
	// subdirectories (as compose finds its file); outside a project the
	// working directory's .env is read as before.
	if !f.EnvFileExplicit && f.EnvFile == DefaultEnvFile {
		if root, err := f.Project(); err == nil {
			f.EnvFile = filepath.Join(root, DefaultEnvFile)
		}
	}
	if _, err := os.Stat(f.EnvFile); err != nil {
		if errors.Is(err, fs.ErrNotExist) && !f.EnvFileExplicit {
			return nil
		}
		return fmt.Errorf("env file %s: %w", f.EnvFile, err)
	}
	if err := godotenv.Load(f.EnvFile); err != nil {
		where := f.EnvFile
		if b, rerr := os.ReadFile(f.EnvFile); rerr == nil {
			if n := BadLine(b); n > 0 {
				where = fmt.Sprintf("%s:%d", f.EnvFile, n)
			}
		}
		return fmt.Errorf("env file %s is not valid dotenv syntax: %w (fix or remove that line; `stackctl secret gen` rewrites only the secrets)", where, err)
	}
	f.envFound = true
	return nil
}

// EnvFound reports whether LoadEnv found and loaded an env file.
func (f *Factory) EnvFound() bool { return f.envFound }

// maxScanLines bounds BadLine's work (a .env file has tens of lines).
const maxScanLines = 2000

// BadLine returns the 1-based line of b where godotenv's parse breaks for
// good: the line after the longest prefix that still parses (a quoted value
// may span lines, so the first failing prefix is not enough). 0 when b
// parses, or is too long to scan.
func BadLine(b []byte) int {
	lines := strings.SplitAfter(string(b), "\n")
	if len(lines) > maxScanLines {
		return 0
	}
	if _, err := godotenv.Unmarshal(string(b)); err == nil {
		return 0
	}
	for k := len(lines) - 1; k >= 0; k-- {
		if _, err := godotenv.Unmarshal(strings.Join(lines[:k], "")); err == nil {
			return k + 1
		}
	}
	return 1
}
