package stack

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestMuxPrefixesWholeLines(t *testing.T) {
	var out, file bytes.Buffer
	m := NewMux(&out)
	w := m.Writer("api", &file)
	// a line split across writes, two lines in one write, a trailing partial line
	for _, chunk := range []string{"hel", "lo\nsecond\nthi", "rd\r\n", "partial"} {
		if _, err := w.Write([]byte(chunk)); err != nil {
			t.Fatal(err)
		}
	}
	w.Flush()
	m.Printf("done")
	want := "api    | hello\napi    | second\napi    | third\napi    | partial\nstack  | done\n"
	if out.String() != want {
		t.Errorf("stream:\n%q\nwant\n%q", out.String(), want)
	}
	if file.String() != "hello\nsecond\nthird\r\npartial" {
		t.Errorf("file got %q", file.String())
	}
	if got := w.Tail(2); got != "third\npartial" {
		t.Errorf("Tail(2) = %q", got)
	}
	for i := 0; i < 100; i++ {
		_, _ = w.Write([]byte("x\n"))
	}
	if n := strings.Count(w.Tail(1000), "\n") + 1; n != tailLines {
		t.Errorf("tail keeps %d lines, want %d", n, tailLines)
	}
}

func TestFollowLogLastLines(t *testing.T) {
	p := filepath.Join(t.TempDir(), "x.log")
	if err := os.WriteFile(p, []byte("a\nb\nc\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := FollowLog(context.Background(), &out, p, 2, false); err != nil {
		t.Fatal(err)
	}
	if out.String() != "b\nc\n" {
		t.Errorf("last 2 lines: %q", out.String())
	}
	out.Reset()
	if err := FollowLog(context.Background(), &out, p, 0, false); err != nil || out.String() != "a\nb\nc\n" {
		t.Errorf("all lines: %q %v", out.String(), err)
	}
}
