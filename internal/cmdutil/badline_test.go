package cmdutil

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestBadLine(t *testing.T) {
	cases := map[string]int{
		"A=1\nB=2\n":                      0,
		"A=1\nB='x\nC=2\n":                2,
		"# c\nA=1\nnot a line\nB=2\n":     3,
		"A=\"multi\nline\"\nB='open\n":    3,
		"A=\"multi\nline\"\nB=ok\nnope\n": 4,
	}
	for in, want := range cases {
		if got := BadLine([]byte(in)); got != want {
			t.Errorf("BadLine(%q) = %d, want %d", in, got, want)
		}
	}
}

// A corrupt line is reported with the file's name and line number.
func TestLoadEnvNamesTheLine(t *testing.T) {
	p := filepath.Join(t.TempDir(), ".env")
	if err := os.WriteFile(p, []byte("# secrets\nJWT_SECRET=abc\nPOSTGRES_DB='app\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	f := &Factory{EnvFile: p, EnvFileExplicit: true}
	err := f.LoadEnv()
	if err == nil || !strings.Contains(err.Error(), p+":3") {
		t.Fatalf("LoadEnv: %v, want the file and line 3", err)
	}
}
