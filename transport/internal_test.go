package transport

import (
	"strings"
	"testing"
	"time"
)

func TestBackoff(t *testing.T) {
	p := RetryPolicy{InitialBackoff: 100 * time.Millisecond, MaxBackoff: time.Second, Multiplier: 2, Jitter: 0.5}
	cases := []struct {
		attempt int
		u       float64
		want    time.Duration
	}{
		{1, 0, 100 * time.Millisecond},
		{2, 0, 200 * time.Millisecond},
		{3, 0, 400 * time.Millisecond},
		{4, 0, 800 * time.Millisecond},
		{5, 0, time.Second},
		{50, 0, time.Second},
		{1, 0.5, 75 * time.Millisecond},
		{5, 0.999999, 500000500 * time.Nanosecond},
	}
	for _, tc := range cases {
		if got := backoff(p, tc.attempt, tc.u); got != tc.want {
			t.Errorf("backoff(attempt %d, u %v) = %v, want %v", tc.attempt, tc.u, got, tc.want)
		}
	}
}

func TestCheckName(t *testing.T) {
	for name, ok := range map[string]bool{
		"claims.x12": true, "837P_20260101.txt": true, ".hidden": true,
		"": false, ".": false, "..": false, "a/b": false, `a\b`: false, "a\x00b": false, "a\nb": false,
	} {
		if err := checkName(name); (err == nil) != ok {
			t.Errorf("checkName(%q) = %v", name, err)
		}
	}
}

func FuzzParseFingerprint(f *testing.F) {
	for _, s := range []string{
		"SHA256:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU",
		"SHA256:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=",
		"SHA256:", "MD5:aa:bb", "", "SHA256:!!!!",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		canon, err := parseFingerprint(s)
		if err != nil {
			return
		}
		if !strings.HasPrefix(canon, "SHA256:") || len(canon) != len("SHA256:")+43 {
			t.Fatalf("parseFingerprint(%q) = %q", s, canon)
		}
		again, err := parseFingerprint(canon)
		if err != nil || again != canon {
			t.Fatalf("canonical form %q does not parse to itself: %q %v", canon, again, err)
		}
	})
}
