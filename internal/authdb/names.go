package authdb

import (
	"errors"
	"fmt"
	"unicode"
	"unicode/utf8"
)

// MaxUsernameRunes bounds user names (they travel in tokens and cookies).
const MaxUsernameRunes = 64

// AnonRole is the role of requests without a token (PGRST_DB_ANON_ROLE).
const AnonRole = "anon"

// ValidateUsername refuses names that cannot be typed back or shown
// safely: empty, surrounded by spaces, with control characters, invalid
// UTF-8, or longer than MaxUsernameRunes.
func ValidateUsername(name string) error {
	switch {
	case name == "":
		return errors.New("user name must not be empty")
	case !utf8.ValidString(name):
		return errors.New("user name is not valid UTF-8")
	case utf8.RuneCountInString(name) > MaxUsernameRunes:
		return fmt.Errorf("user name has %d characters; at most %d are allowed", utf8.RuneCountInString(name), MaxUsernameRunes)
	}
	first, _ := utf8.DecodeRuneInString(name)
	last, _ := utf8.DecodeLastRuneInString(name)
	if unicode.IsSpace(first) || unicode.IsSpace(last) {
		return fmt.Errorf("user name %q starts or ends with white space: remove it", name)
	}
	for _, r := range name {
		if unicode.IsControl(r) || unicode.Is(unicode.Cf, r) {
			return fmt.Errorf("user name %q contains the control or invisible character %U", name, r)
		}
	}
	return nil
}

// ValidateRole refuses roles a login user must not have before the
// database's own check (auth.role_allowed) runs.
func ValidateRole(role string) error {
	if role == AnonRole {
		return fmt.Errorf("role %s is what requests without a token run as; give the user a role of its own, e.g. basic_subscriber", AnonRole)
	}
	return nil
}
