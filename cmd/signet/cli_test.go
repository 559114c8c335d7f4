package main

import (
	"bytes"
	"context"
	"strconv"
	"strings"
	"testing"
	"time"
)

func runCLI(t *testing.T, vars map[string]string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	e := &env{stdout: &out, stderr: &errb, stdin: strings.NewReader(""), getenv: func(k string) string { return vars[k] }}
	code = run(context.Background(), args, e)
	return code, out.String(), errb.String()
}

// TestExitCodes pins the exit code convention: 0 success, 1 refusal or failure, 2 usage.
func TestExitCodes(t *testing.T) {
	tests := []struct {
		args []string
		want int
	}{
		{nil, 2},
		{[]string{"--help"}, 0},
		{[]string{"nope"}, 2},
		{[]string{"sign"}, 2},
		{[]string{"sign", "--bogus"}, 2},
		{[]string{"sign", "--url", "https://a.example/x", "--key-pair-id", "K", "--private-key", "file://testdata/keys/rsa_private.pem", "--date-less-than", "soon"}, 2},
		{[]string{"sign", "--url", "https://a.example/x", "--key-pair-id", "K", "--private-key", "file://testdata/keys/missing.pem", "--date-less-than", "2030-01-01"}, 1},
		{[]string{"keygen", "--type", "x"}, 2},
		{[]string{"presign", "--url", "http://127.0.0.1/a", "--expires", "0"}, 2},
		{[]string{"presign", "--url", "http://127.0.0.1/a"}, 1},
		{[]string{"verify", "--url", "https://a.example/x"}, 2},
		{[]string{"version"}, 0},
		{[]string{"serve", "--bogus"}, 2},
	}
	for _, tt := range tests {
		code, _, stderr := runCLI(t, nil, tt.args...)
		if code != tt.want {
			t.Errorf("signet %q: exit %d, want %d (stderr %q)", tt.args, code, tt.want, stderr)
		}
		if code != 0 && !strings.HasPrefix(stderr, "signet: error: ") && len(tt.args) > 0 {
			t.Errorf("signet %q: stderr %q does not start with signet: error:", tt.args, stderr)
		}
	}
}

func TestVerifyRefusedExitsOne(t *testing.T) {
	code, url, _ := runCLI(t, nil, "sign", "--url", "https://a.example/x", "--key-pair-id", "K1",
		"--private-key", "file://testdata/keys/rsa_private.pem", "--date-less-than", "2030-01-01")
	if code != 0 {
		t.Fatalf("sign: exit %d", code)
	}
	code, _, stderr := runCLI(t, nil, "verify", "--url", strings.TrimSpace(url), "--public-key", "K1=testdata/keys/rsa_public.pem", "--now", "2031-01-01")
	if code != 1 || !strings.HasPrefix(stderr, "signet: error: refused: expired") {
		t.Fatalf("verify expired: exit %d, stderr %q", code, stderr)
	}
}

func TestParseTime(t *testing.T) {
	want := time.Date(2026, 11, 25, 12, 34, 56, 0, time.UTC)
	for _, s := range []string{
		"1795610096", "1795610096.9", "2026-11-25T12:34:56Z", "2026-11-25T12:34:56", "2026-11-25 12:34:56",
		"2026-11-25T13:34:56+01:00", "2026-11-25T12:34:56.789Z", "2026-11-25T11:34:56-0100", "Wed, 25 Nov 2026 12:34:56 GMT",
	} {
		got, err := parseTime(s)
		if err != nil || !got.Equal(want) {
			t.Errorf("parseTime(%q) = %v, %v; want %v", s, got, err, want)
		}
	}
	if got, err := parseTime("2026-11-25"); err != nil || !got.Equal(time.Date(2026, 11, 25, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("parseTime(date) = %v, %v", got, err)
	}
	for _, s := range []string{"", "tomorrow", "20261125x", "1795610096000", "-5", "2026-13-01", "2026-11-25T25:00:00Z"} {
		if _, err := parseTime(s); err == nil {
			t.Errorf("parseTime(%q): no error", s)
		}
	}
}

// FuzzParseTime: a parsed time is whole seconds, UTC, and parses again to itself in RFC 3339
// and epoch form; an error means the zero time.
func FuzzParseTime(f *testing.F) {
	for _, s := range []string{"1795610096", "2026-11-25", "2026-11-25T12:34:56Z", "2026-11-25T12:34:56+01:00", "2026-11-25 12:34:56", "1.5", "x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := parseTime(s)
		if err != nil {
			if !got.IsZero() {
				t.Fatalf("parseTime(%q) = %v with error %v", s, got, err)
			}
			return
		}
		if got.Nanosecond() != 0 || got.Location() != time.UTC {
			t.Fatalf("parseTime(%q) = %v: not whole UTC seconds", s, got)
		}
		if got.Year() < 0 || got.Year() > 9999 {
			return
		}
		again, err := parseTime(got.Format(time.RFC3339))
		if err != nil || !again.Equal(got) {
			t.Fatalf("RFC 3339 round trip of %v: %v %v", got, again, err)
		}
		if got.Unix() >= 0 && got.Unix() < 1e11 {
			again, err = parseTime(strconv.FormatInt(got.Unix(), 10))
			if err != nil || !again.Equal(got) {
				t.Fatalf("epoch round trip of %v: %v %v", got, again, err)
			}
		}
	})
}
