package dotenv_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/joho/godotenv"

	"github.com/authstack/authstack/internal/dotenv"
)

func TestSetKeepsEverythingElse(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, ".env")
	in := "# comment\n\nA=1 # inline\nexport JWT_SECRET=\nB='two words'\nJWT_SECRET=old\n"
	if err := os.WriteFile(p, []byte(in), 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := dotenv.Load(p)
	if err != nil {
		t.Fatal(err)
	}
	if v, ok := f.Get("JWT_SECRET"); !ok || v != "old" {
		t.Errorf("Get = %q %v", v, ok)
	}
	if v, _ := f.Get("A"); v != "1" {
		t.Errorf("A = %q", v)
	}
	f.Set("JWT_SECRET", "abc+/=")
	f.Set("NEW", "has space")
	if err := f.Save(); err != nil {
		t.Fatal(err)
	}
	got, _ := os.ReadFile(p)
	want := "# comment\n\nA=1 # inline\nexport JWT_SECRET=\nB='two words'\nJWT_SECRET=abc+/=\nNEW='has space'\n"
	if string(got) != want {
		t.Errorf("file:\n%s\nwant:\n%s", got, want)
	}
	st, _ := os.Stat(p)
	if st.Mode().Perm() != 0o600 {
		t.Errorf("mode %v", st.Mode())
	}
	// godotenv reads back what we wrote.
	m, err := godotenv.Read(p)
	if err != nil || m["JWT_SECRET"] != "abc+/=" || m["NEW"] != "has space" || m["B"] != "two words" {
		t.Errorf("godotenv read %v, %v", m, err)
	}
}

func TestLoadOrCreate(t *testing.T) {
	dir := t.TempDir()
	tmpl := filepath.Join(dir, ".env.example")
	os.WriteFile(tmpl, []byte("# example\nJWT_SECRET=\n"), 0o644)
	f, created, err := dotenv.LoadOrCreate(filepath.Join(dir, ".env"), tmpl)
	if err != nil || !created {
		t.Fatal(err, created)
	}
	if _, ok := f.Get("JWT_SECRET"); !ok {
		t.Error("template not used")
	}
	f, created, err = dotenv.LoadOrCreate(filepath.Join(dir, "other.env"), filepath.Join(dir, "missing"))
	if err != nil || !created || len(f.Bytes()) != 0 {
		t.Error("empty create failed")
	}
}
