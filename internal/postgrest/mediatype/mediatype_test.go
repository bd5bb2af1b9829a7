package mediatype

import (
	"strings"
	"testing"
)

// PostgREST's doctests of MediaType.hs decodeMediaType@v16.2.
func TestDecode(t *testing.T) {
	cases := map[string]string{
		"application/json":                                              "application/json",
		"application/vnd.pgrst.plan;":                                   `application/vnd.pgrst.plan+text; for="application/json"`,
		`application/vnd.pgrst.plan;for="application/json"`:             `application/vnd.pgrst.plan+text; for="application/json"`,
		`application/vnd.pgrst.plan ; for="text/xml" ; options=analyze`: `application/vnd.pgrst.plan+text; for="text/xml"; options=analyze`,
		`application/vnd.pgrst.plan+json;for="text/csv"`:                `application/vnd.pgrst.plan+json; for="text/csv"`,
		"application/vnd.pgrst.array+json;nulls=stripped":               "application/vnd.pgrst.array+json;nulls=stripped",
		"application/vnd.pgrst.array+json":                              "application/json",
		"application/vnd.pgrst.object+json;nulls=stripped":              "application/vnd.pgrst.object+json;nulls=stripped",
		"application/vnd.pgrst.object+json":                             "application/vnd.pgrst.object+json",
		"ApplicatIon/vnd.PgRsT.object+json":                             "application/vnd.pgrst.object+json",
		"application/vnd.twkb":                                          "application/vnd.twkb",
		`application/vnd.pgrst.plan+text; for="text/xml"; options=analyze|verbose|settings|buffers|wal`: `application/vnd.pgrst.plan+text; for="text/xml"; options=analyze|verbose|settings|buffers|wal`,
	}
	for in, want := range cases {
		if got := Decode(in).Mime(); got != want {
			t.Errorf("Decode(%q) = %q, want %q", in, got, want)
		}
	}
	if m := Decode("text/html;charset=utf-8"); m.Kind != Other || m.ContentType() != "text/html;charset=utf-8" {
		t.Errorf("other: %+v", m)
	}
}

// wai-extra's parseHttpAccept: sorted by q, then by specificity.
func TestParseAccept(t *testing.T) {
	got := ParseAccept("text/plain; q=0.5, text/html;charset=utf-8, text/*;q=0.8;ext=blah, text/x-dvi; q=0.8, text/x-c")
	var names []string
	for _, m := range got {
		names = append(names, m.Mime())
	}
	want := "text/html;charset=utf-8, text/x-c, text/x-dvi, text/*, text/plain"
	if strings.Join(names, ", ") != want {
		t.Errorf("got %s, want %s", strings.Join(names, ", "), want)
	}
	if ParseAccept("") != nil {
		t.Error("an empty Accept lists nothing")
	}
}

// FuzzAccept: any Accept header decodes without panicking into as many
// media types as it has comma-separated items, each printable again.
func FuzzAccept(f *testing.F) {
	for _, s := range []string{"application/json", "*/*;q=0.5, text/csv", "application/vnd.pgrst.object+json;nulls=stripped",
		"application/vnd.pgrst.array+json;q=NaN", "text/html;q=0.9,application/*;q=0.8", ";;,=,;q=", ""} {
		f.Add(s, true)
	}
	f.Fuzz(func(t *testing.T, accept string, _ bool) {
		ms := ParseAccept(accept)
		if accept != "" && len(ms) != strings.Count(accept, ",")+1 {
			t.Fatalf("%d media types from %q", len(ms), accept)
		}
		for _, m := range ms {
			if Decode(m.Mime()).Kind != m.Kind && m.Kind != Other {
				t.Fatalf("%q does not decode back to itself", m.Mime())
			}
		}
	})
}
