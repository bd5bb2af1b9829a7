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
	// console: Caddy's access-log JSON is shown in short (consoleLine)
	console bool
}

// NewMux returns a Mux writing to out (nil: nowhere) for the terminal:
// Caddy's access-log lines are shortened, health probes left out (see
// consoleLine); the component files keep the lines as written.
func NewMux(out io.Writer) *Mux { return &Mux{out: out, console: true} }

// NewRawMux returns a Mux that prefixes lines and changes nothing else
// (`stackctl logs` of several files).
func NewRawMux(out io.Writer) *Mux { return &Mux{out: out} }

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
	part []byte // the current line, at most maxLine bytes
	cut  int    // bytes of the current line beyond maxLine
	tail []string
}

const (
	tailLines = 40
	// maxLine bounds what one line may hold in memory and in the combined
	// stream; a longer line is cut there (the component's own file keeps
	// it whole, within its size cap).
	maxLine = 16 << 10
)

// Write implements io.Writer.
func (w *LineWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	n := len(p)
	if w.file != nil {
		_, _ = w.file.Write(p)
	}
	for len(p) > 0 {
		i := bytes.IndexByte(p, '\n')
		if i < 0 {
			w.keep(p)
			break
		}
		w.keep(p[:i])
		w.emit(string(w.part))
		w.part, w.cut = w.part[:0], 0
		p = p[i+1:]
	}
	return n, nil
}

// keep adds b to the current line, counting what goes beyond maxLine.
func (w *LineWriter) keep(b []byte) {
	room := maxLine - len(w.part)
	if len(b) > room {
		w.cut += len(b) - room
		b = b[:room]
	}
	w.part = append(w.part, b...)
}

func (w *LineWriter) emit(l string) {
	l = strings.TrimRight(l, "\r")
	if w.mux.console && w.name == CompCaddy && w.cut == 0 {
		var keep bool
		if l, keep = consoleLine(l); !keep {
			return
		}
	}
	if w.cut > 0 {
		l += fmt.Sprintf(" [%d more bytes cut]", w.cut)
	}
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
	if len(w.part) > 0 || w.cut > 0 {
		w.emit(string(w.part))
		w.part, w.cut = nil, 0
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
