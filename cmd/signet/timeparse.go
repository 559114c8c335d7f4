package main

import (
	"errors"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// parseTime parses a time as `aws cloudfront sign` does (botocore parse_to_aware_datetime):
// epoch seconds ("1795000000", a fraction is truncated), a date ("2026-11-25", midnight
// UTC), or ISO 8601 / RFC 3339 ("2026-11-25T12:34:56Z", "2026-11-25T12:34:56+02:00",
// "2026-11-25T12:34:56" meaning UTC, a space instead of the T, fractional seconds), and the
// RFC 1123 form of HTTP dates. Times are truncated to whole seconds, as botocore does.
func parseTime(s string) (time.Time, error) {
	v := strings.TrimSpace(s)
	if v == "" {
		return time.Time{}, errors.New("empty time")
	}
	if isEpoch(v) {
		f, err := strconv.ParseFloat(v, 64)
		if err != nil || f < 0 || f >= 1e11 {
			return time.Time{}, errors.New("epoch seconds out of range (milliseconds are not accepted)")
		}
		return time.Unix(int64(math.Trunc(f)), 0).UTC(), nil
	}
	layouts := []string{
		"2006-01-02",
		"2006-01-02T15:04:05Z07:00",
		"2006-01-02T15:04:05.999999999Z07:00",
		"2006-01-02T15:04:05",
		"2006-01-02T15:04:05.999999999",
		"2006-01-02T15:04Z07:00",
		"2006-01-02T15:04",
		"2006-01-02T15:04:05-0700",
		"2006-01-02T15:04:05.999999999-0700",
	}
	t := strings.Replace(v, " ", "T", 1)
	if strings.HasSuffix(t, "z") {
		t = t[:len(t)-1] + "Z"
	}
	for _, l := range layouts {
		if p, err := time.Parse(l, t); err == nil {
			return p.UTC().Truncate(time.Second), nil
		}
	}
	if p, err := http.ParseTime(v); err == nil {
		return p.UTC(), nil
	}
	return time.Time{}, errors.New("want epoch seconds, a date (2026-11-25) or RFC 3339 (2026-11-25T12:34:56Z)")
}

func isEpoch(s string) bool {
	dot := false
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c >= '0' && c <= '9':
		case c == '.' && !dot && i > 0:
			dot = true
		default:
			return false
		}
	}
	return true
}

// timeFlag parses a time flag value with a flag-specific error.
func timeFlag(name, v string) (time.Time, error) {
	t, err := parseTime(v)
	if err != nil {
		return time.Time{}, usageErrorf("--%s %q: %v", name, v, err)
	}
	return t, nil
}
