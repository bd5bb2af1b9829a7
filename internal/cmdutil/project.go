package cmdutil

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// ProjectMarker is the file that makes a directory the project's root
// (the native stack and compose both serve it).
var ProjectMarker = filepath.Join("caddy", "Caddyfile")

// maxProjectDepth bounds the walk up from the working directory.
const maxProjectDepth = 64

// ErrNoProject is returned when no directory from the working directory
// up has caddy/Caddyfile.
var ErrNoProject = errors.New("not inside an authstack project")

// FindProject walks from dir up to the filesystem root, as compose looks
// for its compose file, and returns the first directory that holds
// caddy/Caddyfile.
func FindProject(dir string) (string, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", err
	}
	for d, i := abs, 0; i < maxProjectDepth; i++ {
		if st, err := os.Stat(filepath.Join(d, ProjectMarker)); err == nil && !st.IsDir() {
			return d, nil
		}
		parent := filepath.Dir(d)
		if parent == d {
			break
		}
		d = parent
	}
	return "", fmt.Errorf("%w: no %s in %s or any directory above it (run stackctl from the project's directory, the one with %s)",
		ErrNoProject, ProjectMarker, abs, ProjectMarker)
}

// Project returns the project root found from the working directory, once.
func (f *Factory) Project() (string, error) {
	if f.projectDir == "" && f.projectErr == nil {
		wd, err := os.Getwd()
		if err != nil {
			f.projectErr = err
		} else {
			f.projectDir, f.projectErr = FindProject(wd)
		}
	}
	return f.projectDir, f.projectErr
}
