package stack

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"time"
)

// FollowLog copies the log file at path to w: the last n lines (all when
// n <= 0), then, when follow is set, new lines as they are written until
// ctx ends. When the file is rotated (renamed to a backup and recreated,
// as RotatingLog and a new `stackctl up` do) the rest of the old file is
// copied and the new one followed from its start; a truncated file is
// followed from its start too. The file is polled every 100 ms, so a log
// rotated twice within one poll skips the middle file.
func FollowLog(ctx context.Context, w io.Writer, path string, n int, follow bool) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer func() { f.Close() }()
	b, err := io.ReadAll(f) // bounded by the log's size cap
	if err != nil {
		return err
	}
	off := int64(len(b))
	if n > 0 {
		b = lastN(b, n)
	}
	if _, err := w.Write(b); err != nil {
		return err
	}
	if !follow {
		return nil
	}
	buf := make([]byte, 32<<10)
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(100 * time.Millisecond):
		}
		if off, err = copyFrom(w, f, off, buf); err != nil {
			return err
		}
		cur, err1 := f.Stat()
		now, err2 := os.Stat(path)
		switch {
		case err1 != nil || err2 != nil:
			// between a rotation's rename and create: look again next poll
		case !os.SameFile(cur, now):
			// rotated: the writer has moved on, so the old file is complete
			if _, err := copyFrom(w, f, off, buf); err != nil {
				return err
			}
			nf, err := os.Open(path)
			if err != nil {
				continue
			}
			f.Close()
			f, off = nf, 0
		case now.Size() < off:
			off = 0 // truncated in place
		}
	}
}

// copyFrom copies f from off to its current end into w and returns the
// new offset.
func copyFrom(w io.Writer, f *os.File, off int64, buf []byte) (int64, error) {
	for {
		k, err := f.ReadAt(buf, off)
		if k > 0 {
			if _, werr := w.Write(buf[:k]); werr != nil {
				return off, werr
			}
			off += int64(k)
		}
		if err != nil || k == 0 {
			return off, nil
		}
	}
}

func lastN(b []byte, n int) []byte {
	end := len(b)
	if end > 0 && b[end-1] == '\n' {
		end--
	}
	for i := 0; i < n; i++ {
		j := bytes.LastIndexByte(b[:end], '\n')
		if j < 0 {
			return b
		}
		end = j
	}
	return b[end+1:]
}

// NamedLog is one component's log file.
type NamedLog struct {
	Name, Path string
}

// FollowLogs copies several logs to w, each line prefixed with its
// component's name as in the combined stream ("api    | ..."): the last n
// lines of each file one after another, then, with follow, new lines of
// all of them as they come (one goroutine per file) until ctx ends. Lines
// are written whole; lines of different files interleave in arrival order.
func FollowLogs(ctx context.Context, w io.Writer, logs []NamedLog, n int, follow bool) error {
	m := NewRawMux(w)
	writers := make([]*LineWriter, len(logs))
	for i, l := range logs {
		writers[i] = m.Writer(l.Name, nil)
	}
	if !follow {
		for i, l := range logs {
			err := FollowLog(ctx, writers[i], l.Path, n, false)
			writers[i].Flush()
			if err != nil {
				return fmt.Errorf("%s log: %w", l.Name, err)
			}
		}
		return nil
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	errs := make(chan error, len(logs))
	for i, l := range logs {
		go func() {
			err := FollowLog(ctx, writers[i], l.Path, n, true)
			if err != nil {
				err = fmt.Errorf("%s log: %w", l.Name, err)
				cancel() // one failed: stop the others too
			}
			errs <- err
		}()
	}
	var first error
	for range logs {
		if err := <-errs; err != nil && first == nil {
			first = err
		}
	}
	for _, wr := range writers {
		wr.Flush()
	}
	return first
}
