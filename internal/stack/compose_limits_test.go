package stack

import "testing"

// compose passes the gateway limits from .env to Caddy (default 1MB and
// 64KB when the lines are deleted) and caps Caddy's Docker log.
func TestComposeGatewayLimits(t *testing.T) {
	for _, tc := range []struct {
		env              map[string]string
		wantBody, wantHd string
	}{
		{nil, "1MB", "64KB"}, // .env.example's values
		{map[string]string{"REQUEST_BODY_MAX_SIZE": "2MB", "REQUEST_HEADER_MAX_SIZE": "32KB"}, "2MB", "32KB"},
		{map[string]string{"REQUEST_BODY_MAX_SIZE": "", "REQUEST_HEADER_MAX_SIZE": ""}, "1MB", "64KB"},
	} {
		envFile, _ := envFromExample(t, tc.env)
		p, err := loadCompose(t, envFile)
		if err != nil {
			t.Fatal(err)
		}
		if got := svcEnv(t, p, "caddy", "REQUEST_BODY_MAX_SIZE"); got != tc.wantBody {
			t.Errorf("%v: caddy REQUEST_BODY_MAX_SIZE = %q, want %q", tc.env, got, tc.wantBody)
		}
		if got := svcEnv(t, p, "caddy", "REQUEST_HEADER_MAX_SIZE"); got != tc.wantHd {
			t.Errorf("%v: caddy REQUEST_HEADER_MAX_SIZE = %q, want %q", tc.env, got, tc.wantHd)
		}
		for name, svc := range p.Services {
			if lg := svc.Logging; lg == nil || lg.Options["max-size"] == "" || lg.Options["max-file"] == "" {
				t.Errorf("%s's Docker log is not capped: %+v", name, lg)
			}
		}
	}
}
