package stack

import (
	"bytes"
	"fmt"
	"io"
	"strings"
	"sync"
)

// Mux is the single log stream of the foreground stack: every component's
// lines, each prefixed with the component's short name ("pg    | ...").
// A nil out discards the stream (detached: the files are the logs).
type Mux struct {
	mu  sync.Mutex
	out io.Writer
}

// NewMux returns a Mux writing to out (nil: nowhere).
func NewMux(out io.Writer) *Mux { return &Mux{out: out} }

// Printf writes a supervisor line ("stack | ...").
func (m *Mux) Printf(format string, a ...any) {
	m.line("stack", fmt.Sprintf(format, a...))
}

func (m *Mux) line(name, s string) {
	if m.out == nil {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, l := range strings.Split(strings.TrimRight(s, "\n"), "\n") {
		fmt.Fprintf(m.out, "%-7s| %s\n", name, l)
	}
}

// Writer returns a line writer for component name that copies every line
// to file (when non-nil, unprefixed) and to the stream (prefixed), and keeps
// the last lines for error messages.
func (m *Mux) Writer(name string, file io.Writer) *LineWriter {
	return &LineWriter{mux: m, name: name, file: file}
}

// LineWriter is an io.Writer that splits its input into lines.
type LineWriter struct {
	mux  *Mux
	name string
	file io.Writer

	mu   sync.Mutex
	part []byte
	tail []string
}

const tailLines = 40

// Write implements io.Writer.
func (w *LineWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.file != nil {
		_, _ = w.file.Write(p)
	}
	w.part = append(w.part, p...)
	for {
		i := bytes.IndexByte(w.part, '\n')
		if i < 0 {
			break
		}
		w.emit(string(w.part[:i]))
		w.part = w.part[i+1:]
	}
	return len(p), nil
}

func (w *LineWriter) emit(l string) {
	l = strings.TrimRight(l, "\r")
	w.tail = append(w.tail, l)
	if len(w.tail) > tailLines {
		w.tail = w.tail[len(w.tail)-tailLines:]
	}
	w.mux.line(w.name, l)
}

// Flush emits a trailing partial line.
func (w *LineWriter) Flush() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.part) > 0 {
		w.emit(string(w.part))
		w.part = nil
	}
}

// Tail returns the last n lines written.
func (w *LineWriter) Tail(n int) string {
	w.mu.Lock()
	defer w.mu.Unlock()
	t := w.tail
	if len(t) > n {
		t = t[len(t)-n:]
	}
	return strings.Join(t, "\n")
}
