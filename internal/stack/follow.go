package stack

import (
	"bytes"
	"context"
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
