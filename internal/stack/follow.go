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
// ctx ends. A file truncated by a new `stackctl up` is followed from its start.
func FollowLog(ctx context.Context, w io.Writer, path string, n int, follow bool) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer func() { f.Close() }()
	b, err := io.ReadAll(f)
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
		if st, err := os.Stat(path); err == nil && st.Size() < off {
			// truncated or replaced: start over
			f.Close()
			if f, err = os.Open(path); err != nil {
				return err
			}
			off = 0
		}
		for {
			k, err := f.ReadAt(buf, off)
			if k > 0 {
				if _, werr := w.Write(buf[:k]); werr != nil {
					return werr
				}
				off += int64(k)
			}
			if err != nil || k == 0 {
				break
			}
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
