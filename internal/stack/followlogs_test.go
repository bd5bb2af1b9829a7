package stack

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// FollowLogs follows every file at once: lines written to both files while
// it runs all arrive, whole and prefixed, and it returns when ctx ends.
func TestFollowLogsConcurrently(t *testing.T) {
	dir := t.TempDir()
	logs := []NamedLog{{CompAPI, filepath.Join(dir, "api.log")}, {CompCaddy, filepath.Join(dir, "caddy.log")}}
	files := make([]*os.File, len(logs))
	for i, l := range logs {
		f, err := os.Create(l.Path)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		fmt.Fprintf(f, "%s-old\n", l.Name)
		files[i] = f
	}
	var out syncBuffer
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- FollowLogs(ctx, &out, logs, 0, true) }()
	const n = 50
	for j := 0; j < n; j++ {
		for i, f := range files {
			// a line in two writes: it must still come out whole
			fmt.Fprintf(f, "%s-%d-", logs[i].Name, j)
			fmt.Fprintf(f, "end\n")
		}
	}
	var want []string
	for j := 0; j < n; j++ {
		want = append(want, fmt.Sprintf("api    | api-%d-end\n", j), fmt.Sprintf("caddy  | caddy-%d-end\n", j))
	}
	want = append(want, "api    | api-old\n", "caddy  | caddy-old\n")
	deadline := time.Now().Add(20 * time.Second) // a bound, not a timing assertion
	for !containsAll(out.String(), want) && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	got := out.String()
	if !containsAll(got, want) {
		t.Fatalf("lines missing from the followed stream:\n%s", got)
	}
	for _, l := range strings.Split(strings.TrimRight(got, "\n"), "\n") {
		if !strings.HasPrefix(l, "api    | api-") && !strings.HasPrefix(l, "caddy  | caddy-") {
			t.Errorf("line not whole or not prefixed: %q", l)
		}
	}
}

func containsAll(s string, subs []string) bool {
	for _, x := range subs {
		if !strings.Contains(s, x) {
			return false
		}
	}
	return true
}
