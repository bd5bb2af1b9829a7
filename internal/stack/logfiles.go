package stack

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"gopkg.in/natefinch/lumberjack.v2"
)

// LogLimits bound the disk a log can take: each file is rotated when it
// would grow past MaxMB megabytes, and Backups rotated files are kept
// (name-<timestamp>.log, next to it). A log thus never takes more than
// about MaxMB × (Backups+1).
type LogLimits struct {
	MaxMB   int
	Backups int
}

// DefaultLogLimits: 10 MB per file, 3 backups (40 MB per log at most).
var DefaultLogLimits = LogLimits{MaxMB: 10, Backups: 3}

// Log file modes: the logs name users, addresses and URIs, so only the
// owner reads them.
const (
	logDirMode  fs.FileMode = 0o700
	logFileMode fs.FileMode = 0o600
)

// PrepareLogDir creates the log directory (owner only) and takes group and
// other permissions away from a directory and log files left by an older
// stackctl.
func PrepareLogDir(dir string) error {
	if err := os.MkdirAll(dir, logDirMode); err != nil {
		return err
	}
	if err := os.Chmod(dir, logDirMode); err != nil {
		return err
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	for _, e := range entries {
		if e.Type().IsRegular() && strings.Contains(e.Name(), ".log") {
			if err := os.Chmod(filepath.Join(dir, e.Name()), logFileMode); err != nil {
				return err
			}
		}
	}
	return nil
}

// RotatingLog is a log file that rotates itself at its size cap
// (gopkg.in/natefinch/lumberjack.v2). Writes are safe for concurrent use.
type RotatingLog struct {
	*lumberjack.Logger
}

// OpenLog opens the log at path for appending, rotated at lim. With keepOld,
// a non-empty file already there (the previous run's) is moved to a backup
// first, so a new run starts an empty file and keeps the old one. The zero
// LogLimits means DefaultLogLimits.
func OpenLog(path string, lim LogLimits, keepOld bool) (*RotatingLog, error) {
	if lim == (LogLimits{}) {
		lim = DefaultLogLimits
	}
	if lim.MaxMB < 1 || lim.Backups < 0 {
		return nil, fmt.Errorf("log limits %+v: need at least 1 MB per file and 0 or more backups", lim)
	}
	l := &RotatingLog{&lumberjack.Logger{Filename: path, MaxSize: lim.MaxMB, MaxBackups: lim.Backups}}
	st, err := os.Stat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		// lumberjack creates new files 0600
	case err != nil:
		return nil, err
	default:
		// lumberjack gives the new file and backups the old file's mode
		if err := os.Chmod(path, logFileMode); err != nil {
			return nil, err
		}
		if keepOld && st.Size() > 0 {
			if err := l.Rotate(); err != nil {
				return nil, err
			}
		}
	}
	// open now, so an unwritable path fails here rather than on a write
	if _, err := l.Write(nil); err != nil {
		return nil, err
	}
	return l, nil
}

// openLogOnce returns the log at path among open, opening (and adding) it
// when absent: a component restarted within one run appends to its log
// instead of rotating it away or opening a second writer.
func openLogOnce(open *[]io.Closer, path string, lim LogLimits) (*RotatingLog, error) {
	for _, c := range *open {
		if l, ok := c.(*RotatingLog); ok && l.Filename == path {
			return l, nil
		}
	}
	l, err := OpenLog(path, lim, true)
	if err != nil {
		return nil, err
	}
	*open = append(*open, l)
	return l, nil
}
