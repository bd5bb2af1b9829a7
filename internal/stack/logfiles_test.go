package stack

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// dirSize is the total size and count of the files in dir.
func dirSize(t *testing.T, dir string) (int64, int) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var total int64
	for _, e := range entries {
		info, err := e.Info()
		if err != nil {
			continue // removed by the rotation meanwhile
		}
		total += info.Size()
	}
	return total, len(entries)
}

// A flood of long access lines through the supervisor's writers (the
// component file and the combined stream, as for Caddy) stays within
// cap × (backups+1) per log.
func TestLogFloodIsBounded(t *testing.T) {
	dir := t.TempDir()
	lim := LogLimits{MaxMB: 1, Backups: 2}
	comp, err := OpenLog(filepath.Join(dir, "caddy.log"), lim, true)
	if err != nil {
		t.Fatal(err)
	}
	stream, err := OpenLog(filepath.Join(dir, "stack.log"), lim, true)
	if err != nil {
		t.Fatal(err)
	}
	w := NewMux(stream).Writer(CompCaddy, comp)
	line := []byte(`{"level":"info","logger":"http.log.access.log0","request":{"uri":"/rest/x?q=` + strings.Repeat("a", 30_000) + `"},"status":401}` + "\n")
	const flood = 20 << 20 // 20 MB into each file
	for n := 0; n < flood; n += len(line) {
		if _, err := w.Write(line); err != nil {
			t.Fatal(err)
		}
	}
	comp.Close()
	stream.Close()
	const mb = 1 << 20
	bound := int64(lim.MaxMB*mb)*int64(lim.Backups+1)*2 + 64<<10 // two logs, slack for the last line
	// lumberjack removes surplus backups in the background after a rotation
	var total int64
	var files int
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if total, files = dirSize(t, dir); files <= 2*(lim.Backups+1) {
			break
		}
	}
	if total > bound || files > 2*(lim.Backups+1) {
		t.Fatalf("after a %d MB flood the logs take %d bytes in %d files, want at most %d bytes in %d files",
			flood/mb, total, files, bound, 2*(lim.Backups+1))
	}
	if total < int64(lim.MaxMB*mb) {
		t.Fatalf("only %d bytes were kept", total)
	}
}

// A writer restarted on the same log (a new `stackctl up`) keeps the
// previous run's lines in a backup and starts an empty file.
func TestOpenLogKeepsPreviousRun(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "api.log")
	for run := 1; run <= 2; run++ {
		l, err := OpenLog(p, LogLimits{MaxMB: 1, Backups: 3}, true)
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(l, "run %d: the reason for the teardown\n", run)
		l.Close()
	}
	b, err := os.ReadFile(p)
	if err != nil || string(b) != "run 2: the reason for the teardown\n" {
		t.Fatalf("current log %q %v", b, err)
	}
	old, _ := filepath.Glob(filepath.Join(dir, "api-*.log"))
	if len(old) != 1 {
		t.Fatalf("backups %v, want the previous run's", old)
	}
	if b, _ := os.ReadFile(old[0]); string(b) != "run 1: the reason for the teardown\n" {
		t.Fatalf("backup holds %q", b)
	}
	// Within a run (a component restarted by the supervisor) the log is
	// appended to, through the same writer.
	var open []io.Closer
	a, err := openLogOnce(&open, p, LogLimits{})
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintln(a, "first start")
	b2, err := openLogOnce(&open, p, LogLimits{})
	if err != nil || b2 != a || len(open) != 1 {
		t.Fatalf("second open: %v, same writer %v, %d open", err, b2 == a, len(open))
	}
	fmt.Fprintln(b2, "restart")
	a.Close()
	if b, _ := os.ReadFile(p); string(b) != "first start\nrestart\n" {
		t.Fatalf("log after a restart %q", b)
	}
}

func TestLogFileModes(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "logs")
	// what an older stackctl left: world-readable directory and file
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	old := filepath.Join(dir, "caddy.log")
	if err := os.WriteFile(old, []byte("old run\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := PrepareLogDir(dir); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"caddy.log", "pg.log"} {
		l, err := OpenLog(filepath.Join(dir, name), LogLimits{MaxMB: 1, Backups: 1}, true)
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintln(l, "line")
		l.Close()
	}
	if st, _ := os.Stat(dir); st.Mode().Perm() != 0o700 {
		t.Errorf("log dir mode %v, want 0700", st.Mode().Perm())
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 3 { // caddy.log, its backup, pg.log
		t.Errorf("files %v", entries)
	}
	for _, e := range entries {
		info, _ := e.Info()
		if info.Mode().Perm() != 0o600 {
			t.Errorf("%s mode %v, want 0600", e.Name(), info.Mode().Perm())
		}
	}
}

func TestOpenLogUnwritable(t *testing.T) {
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := OpenLog(filepath.Join(file, "x.log"), LogLimits{}, true); err == nil {
		t.Fatal("opening a log under a regular file succeeded")
	}
}

func TestLineWriterBoundsLongLines(t *testing.T) {
	var out, file bytes.Buffer
	w := NewMux(&out).Writer("caddy", &file)
	long := strings.Repeat("x", 1<<20)
	for i := 0; i < 4; i++ { // 4 MB without a newline, in pieces
		_, _ = w.Write([]byte(long))
		if len(w.part) > maxLine {
			t.Fatalf("the pending line holds %d bytes, more than %d", len(w.part), maxLine)
		}
	}
	_, _ = w.Write([]byte("\nshort\n"))
	lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
	if len(lines) != 2 || len(lines[0]) > maxLine+100 || !strings.Contains(lines[0], fmt.Sprintf("[%d more bytes cut]", 4<<20-maxLine)) || lines[1] != "caddy  | short" {
		t.Fatalf("stream has %d lines, first %d bytes (%.40q…)", len(lines), len(lines[0]), lines[len(lines)-1])
	}
	if file.Len() != 4<<20+7 {
		t.Fatalf("the component file got %d bytes, want all", file.Len())
	}
}

// syncBuffer is a bytes.Buffer safe for one writer and one reader.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// `stackctl logs -f` goes on across rotations (rename and create, as
// lumberjack and a new `stackctl up` do): every line written appears once,
// in order, including lines written to the old file just before it moved.
func TestFollowLogAcrossRotation(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "stack.log")
	f, err := os.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	var want strings.Builder
	write := func(s string) {
		if _, err := f.WriteString(s); err != nil {
			t.Fatal(err)
		}
		want.WriteString(s)
	}
	write("line 0\n")
	ctx, cancel := context.WithCancel(context.Background())
	var out syncBuffer
	done := make(chan error, 1)
	go func() { done <- FollowLog(ctx, &out, p, 0, true) }()
	catchUp := func() {
		for deadline := time.Now().Add(10 * time.Second); len(out.String()) < want.Len() && time.Now().Before(deadline); {
			time.Sleep(10 * time.Millisecond)
		}
	}
	pad := strings.Repeat("p", 200)
	n := 1
	for round := 0; round < 4; round++ {
		// each file bigger than the one before, so its size says nothing
		for size := 0; size < (round+1)*100_000; n++ {
			s := fmt.Sprintf("line %d %s\n", n, pad)
			write(s)
			size += len(s)
		}
		catchUp()
		write(fmt.Sprintf("last line of file %d\n", round))
		if round == 3 {
			break
		}
		f.Close()
		if err := os.Rename(p, filepath.Join(dir, fmt.Sprintf("stack-%d.log", round))); err != nil {
			t.Fatal(err)
		}
		if f, err = os.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	catchUp()
	cancel()
	f.Close()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if got := out.String(); got != want.String() {
		t.Fatalf("followed %d bytes, written %d; first difference near %q", len(got), want.Len(), firstDiff(got, want.String()))
	}
}

func firstDiff(a, b string) string {
	for i := 0; i < len(a) && i < len(b); i++ {
		if a[i] != b[i] {
			return a[max(0, i-20):min(len(a), i+20)]
		}
	}
	return "(one is a prefix of the other)"
}

// Components write to the combined stream at once while it rotates: every
// line lands exactly once and whole, in the current file or a backup.
func TestRotationWithConcurrentWriters(t *testing.T) {
	dir := t.TempDir()
	stream, err := OpenLog(filepath.Join(dir, "stack.log"), LogLimits{MaxMB: 1, Backups: 100}, true)
	if err != nil {
		t.Fatal(err)
	}
	mux := NewMux(stream)
	const writers, lines = 4, 5000
	pad := strings.Repeat("z", 250)
	var wg sync.WaitGroup
	for c := 0; c < writers; c++ {
		wg.Add(1)
		go func(c int) {
			defer wg.Done()
			w := mux.Writer(fmt.Sprintf("c%d", c), nil)
			for n := 0; n < lines; n++ {
				// two writes per line: a line is only whole once both arrive
				fmt.Fprintf(w, "line %d %s", n, pad[:n%200])
				fmt.Fprintf(w, "%s end\n", pad[n%200:])
			}
		}(c)
	}
	wg.Wait()
	stream.Close()
	files, _ := filepath.Glob(filepath.Join(dir, "stack*.log"))
	if len(files) < 4 {
		t.Fatalf("%d files: the test needs several rotations", len(files))
	}
	seen := map[string]int{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, l := range strings.Split(strings.TrimSuffix(string(b), "\n"), "\n") {
			seen[l]++
		}
	}
	for c := 0; c < writers; c++ {
		for n := 0; n < lines; n++ {
			want := fmt.Sprintf("%-7s| line %d %s end", fmt.Sprintf("c%d", c), n, pad)
			if seen[want] != 1 {
				t.Fatalf("%.30q… is in the logs %d times", want, seen[want])
			}
		}
	}
	if len(seen) != writers*lines {
		t.Fatalf("%d distinct lines, want %d (torn or foreign lines)", len(seen), writers*lines)
	}
}

// Whatever the chunking, the stream gets the same lines, each at most
// maxLine bytes plus the cut mark, and the pending line stays bounded.
func FuzzLineWriter(f *testing.F) {
	f.Add([]byte("a\nb\r\nc"), uint8(1))
	f.Add([]byte(strings.Repeat("x", maxLine+5)+"\n"), uint8(7))
	f.Fuzz(func(t *testing.T, data []byte, step uint8) {
		var whole, chunked bytes.Buffer
		w1 := NewMux(&whole).Writer("x", nil)
		_, _ = w1.Write(data)
		w1.Flush()
		w2 := NewMux(&chunked).Writer("x", nil)
		k := int(step%64) + 1
		for i := 0; i < len(data); i += k {
			_, _ = w2.Write(data[i:min(len(data), i+k)])
			if len(w2.part) > maxLine {
				t.Fatalf("pending line %d bytes", len(w2.part))
			}
		}
		w2.Flush()
		if whole.String() != chunked.String() {
			t.Fatalf("chunks of %d give another stream", k)
		}
		for _, l := range strings.Split(whole.String(), "\n") {
			if len(l) > maxLine+64 {
				t.Fatalf("stream line of %d bytes", len(l))
			}
		}
	})
}
