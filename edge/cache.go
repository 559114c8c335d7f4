package edge

import (
	"net/http"
	"strconv"
	"strings"
	"time"
)

// entry is one cached origin response (status 200). Immutable once stored: a revalidation
// stores a fresh copy that shares body.
type entry struct {
	header     http.Header   // response headers to replay (no hop-by-hop, no Set-Cookie, no Date)
	fields     []headerField // header as a slice, for replay without a map walk (nil = use header)
	body       []byte
	clen       []string // Content-Length, preformatted
	etag       string
	lastMod    string
	modTime    time.Time
	refreshed  bool // revalidated by a 304 (served as a hit)
	stored     time.Time
	freshUntil time.Time
	// life is how long otter keeps the entry: freshness, plus a grace window for
	// revalidation when the entry carries a validator.
	life time.Duration
}

// staleGrace is how long an expired entry with a validator stays around to be revalidated
// with a conditional request instead of re-fetched.
const staleGrace = time.Hour

func (e *entry) weight(key string) uint32 {
	w := len(e.body) + len(key) + 256
	for k, vs := range e.header {
		w += len(k)
		for _, v := range vs {
			w += len(v) + 16
		}
	}
	return uint32(w)
}

// cacheDirectives is the subset of Cache-Control the edge honours as a shared cache.
type cacheDirectives struct {
	noStore, private, noCache bool
	maxAge, sMaxAge           int64 // -1 = absent
}

func parseCacheControl(vals []string) cacheDirectives {
	d := cacheDirectives{maxAge: -1, sMaxAge: -1}
	for _, v := range vals {
		for part := range strings.SplitSeq(v, ",") {
			part = strings.TrimSpace(part)
			name, val, _ := strings.Cut(part, "=")
			name = strings.ToLower(strings.TrimSpace(name))
			val = strings.Trim(strings.TrimSpace(val), `"`)
			switch name {
			case "no-store":
				d.noStore = true
			case "private":
				d.private = true
			case "no-cache":
				d.noCache = true
			case "max-age", "s-maxage":
				n, err := strconv.ParseInt(val, 10, 64)
				if err != nil || n < 0 {
					// A malformed age is treated as stale (RFC 9111 §4.2.1).
					n = 0
				}
				if name == "max-age" {
					d.maxAge = n
				} else {
					d.sMaxAge = n
				}
			}
		}
	}
	return d
}

// freshness returns how long an origin response may be served from cache under the
// behaviour's policy, and whether it may be stored at all. Like CloudFront: the origin's
// s-maxage/max-age (or Expires - Date) clamped to [min, max]; none → default. no-store and
// private are not stored unless min_ttl > 0 forces it; no-cache means revalidate on each use.
func (p cachePolicy) freshness(h http.Header, now time.Time) (time.Duration, bool) {
	if p.disabled() {
		return 0, false
	}
	d := parseCacheControl(h.Values("Cache-Control"))
	if (d.noStore || d.private) && p.min == 0 {
		return 0, false
	}
	var ttl time.Duration
	switch {
	case d.noStore || d.private:
		ttl = p.min
	case d.noCache:
		ttl = 0
	case d.sMaxAge >= 0:
		ttl = secs(d.sMaxAge)
	case d.maxAge >= 0:
		ttl = secs(d.maxAge)
	default:
		ttl = p.def
		if exp := h.Get("Expires"); exp != "" {
			t, err := http.ParseTime(exp)
			if err != nil {
				ttl = 0 // an invalid Expires means already expired (RFC 9111 §5.3)
			} else {
				base := now
				if dt, err := http.ParseTime(h.Get("Date")); err == nil {
					base = dt
				}
				ttl = max(t.Sub(base), 0)
			}
		}
	}
	ttl = min(max(ttl, p.min), p.max)
	return ttl, true
}

func secs(n int64) time.Duration {
	if n > int64(100*365*24*3600) {
		n = int64(100 * 365 * 24 * 3600)
	}
	return time.Duration(n) * time.Second
}

// storedHeaders copies the origin response headers a cache hit replays.
// headerField is one replayed header: canonical name and its values (shared, read-only).
type headerField struct {
	name string
	vals []string
}

func headerFields(h http.Header) []headerField {
	fs := make([]headerField, 0, len(h))
	for k, vs := range h {
		fs = append(fs, headerField{k, vs})
	}
	return fs
}

func storedHeaders(h http.Header) http.Header {
	out := make(http.Header, len(h))
	for k, vs := range h {
		switch k {
		case "Set-Cookie", "Date", "Content-Length", "Connection", "Keep-Alive", "Transfer-Encoding",
			"Trailer", "Upgrade", "Proxy-Authenticate", "Proxy-Connection", "Te", "Age",
			"X-Amz-Request-Id", "X-Amz-Id-2", "Accept-Ranges", "Server", "X-Cache":
			continue
		}
		out[k] = append([]string(nil), vs...)
	}
	return out
}
