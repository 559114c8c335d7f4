package edge

import (
	"context"
	"log/slog"
	"net/netip"
	"strings"
	"time"
)

// accessRecord is one access-log line. Its LogValue is the only way it reaches a handler, and
// it carries no cookie, Authorization header, signing value or raw request target: a signed URL
// is a bearer token (STYLE 15).
type accessRecord struct {
	id        string
	method    string
	rawPath   string
	rawQuery  string // viewer's raw query; redacted in LogValue
	status    int
	reason    string
	keyPairID string
	cache     string
	bytes     int64
	dur       time.Duration
	clientIP  netip.Addr
	behavior  int
}

// LogValue implements slog.LogValuer.
func (a *accessRecord) LogValue() slog.Value {
	path := a.rawPath
	if q := redactQuery(a.rawQuery); q != "" {
		path += "?" + q
	}
	attrs := []slog.Attr{
		slog.String("request_id", a.id),
		slog.String("method", a.method),
		slog.String("path", path),
		slog.Int("status", a.status),
	}
	if a.reason != "" {
		attrs = append(attrs, slog.String("reason", a.reason))
	}
	if a.keyPairID != "" {
		attrs = append(attrs, slog.String("key_pair_id", a.keyPairID))
	}
	if a.cache != "" {
		attrs = append(attrs, slog.String("cache", a.cache))
	}
	attrs = append(attrs,
		slog.Int64("bytes", a.bytes),
		slog.Duration("duration", a.dur),
		slog.String("client_ip", a.clientIP.String()),
	)
	if a.behavior >= 0 {
		attrs = append(attrs, slog.Int("behavior", a.behavior))
	}
	return slog.GroupValue(attrs...)
}

// redactQuery drops the CloudFront signing parameters and SigV4 presign secrets from a raw
// query, matching names case-insensitively (a log must not carry them in any spelling).
func redactQuery(q string) string {
	if q == "" {
		return ""
	}
	var b strings.Builder
	for piece := range strings.SplitSeq(q, "&") {
		name := pieceName(piece)
		if dec, ok := percentDecode(name); ok {
			name = dec
		}
		switch strings.ToLower(name) {
		case "expires", "signature", "policy", "key-pair-id", "hash-algorithm",
			"x-amz-signature", "x-amz-credential", "x-amz-security-token":
			continue
		}
		if b.Len() > 0 {
			b.WriteByte('&')
		}
		b.WriteString(piece)
	}
	return b.String()
}

func (s *Server) logAccess(ctx context.Context, a *accessRecord) {
	if s.cfg.DisableAccessLog {
		return
	}
	level := slog.LevelInfo
	switch {
	case a.status >= 500:
		level = slog.LevelError
	case a.status >= 400:
		level = slog.LevelWarn
	}
	if !s.log.Enabled(ctx, level) {
		return
	}
	// A copy: the caller's record stays on its stack (a handler may keep the value).
	c := *a
	s.log.LogAttrs(ctx, level, "edge request", slog.Any("http", &c))
}
