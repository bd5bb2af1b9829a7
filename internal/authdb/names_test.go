package authdb

import (
	"strings"
	"testing"
)

func TestValidateUsername(t *testing.T) {
	good := []string{"demo", "alice.smith@example.com", "Zoë", strings.Repeat("é", MaxUsernameRunes), "a b"}
	bad := []string{"", " demo", "demo ", "\tdemo", "de\nmo", "de\x00mo", "de\u200bmo", "de\x7fmo", strings.Repeat("a", MaxUsernameRunes+1), "\xff"}
	for _, n := range good {
		if err := ValidateUsername(n); err != nil {
			t.Errorf("%q refused: %v", n, err)
		}
	}
	for _, n := range bad {
		if err := ValidateUsername(n); err == nil {
			t.Errorf("%q accepted", n)
		}
	}
	if ValidateRole("anon") == nil || ValidateRole("basic_subscriber") != nil {
		t.Error("ValidateRole")
	}
}
