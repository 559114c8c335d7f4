package edge

import (
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"strings"

	"github.com/signet-project/signet/cfsign"
)

// proxyTrust decides which peers' forwarding headers are believed (spec §9.6, STYLE 6).
type proxyTrust struct{ prefixes []netip.Prefix }

func newProxyTrust(cidrs []string) (proxyTrust, error) {
	var t proxyTrust
	for _, c := range cidrs {
		p, err := parsePrefix(c)
		if err != nil {
			return t, err
		}
		t.prefixes = append(t.prefixes, p)
	}
	return t, nil
}

func (t proxyTrust) trusted(a netip.Addr) bool {
	for _, p := range t.prefixes {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// peerMemo is the last peer host parsed. Behind a load balancer (and under a load test) most
// requests come from one address, and parsing it was a visible share of a cache hit.
type peerMemo struct {
	host string
	addr netip.Addr
}

// peer is peerAddr(remote), remembering the last host. In the "host:port" form net/http always
// gives (a host without ':' or in brackets, a decimal port up to 65535) peerAddr's result
// depends on the host alone, so the memo is exact; anything else is parsed every time.
func (s *Server) peer(remote string) netip.Addr {
	i := strings.LastIndexByte(remote, ':')
	if i < 0 || !validPort(remote[i+1:]) {
		return peerAddr(remote)
	}
	host := remote[:i]
	if strings.IndexByte(host, ':') >= 0 && (host[0] != '[' || host[len(host)-1] != ']') {
		return peerAddr(remote)
	}
	if m := s.lastPeer.Load(); m != nil && m.host == host {
		return m.addr
	}
	a := peerAddr(remote)
	s.lastPeer.Store(&peerMemo{host: host, addr: a})
	return a
}

// validPort is netip.ParseAddrPort's test of a port.
func validPort(p string) bool {
	_, err := strconv.ParseUint(p, 10, 16)
	return err == nil
}

// peerAddr parses r.RemoteAddr; IPv4-mapped IPv6 is unmapped.
func peerAddr(remote string) netip.Addr {
	if ap, err := netip.ParseAddrPort(remote); err == nil {
		return ap.Addr().Unmap()
	}
	host, _, err := net.SplitHostPort(remote)
	if err != nil {
		host = remote
	}
	if i := strings.IndexByte(host, '%'); i >= 0 {
		host = host[:i]
	}
	a, _ := netip.ParseAddr(host)
	return a.Unmap()
}

// clientIP returns the viewer's address: the peer, or — only when the peer is a trusted proxy —
// the right-most X-Forwarded-For entry that is not itself trusted. A malformed entry on that walk
// stops it at the last good hop (fail closed to a trusted proxy address, never an attacker's).
func (t proxyTrust) clientIP(peer netip.Addr, h http.Header) (netip.Addr, bool) {
	if !peer.IsValid() || !t.trusted(peer) {
		return peer, false
	}
	vals := h.Values("X-Forwarded-For")
	addr := peer
	for i := len(vals) - 1; i >= 0; i-- {
		parts := strings.Split(vals[i], ",")
		for j := len(parts) - 1; j >= 0; j-- {
			p := strings.TrimSpace(parts[j])
			if p == "" {
				continue
			}
			a, err := netip.ParseAddr(p)
			if err != nil {
				return addr, true
			}
			a = a.Unmap()
			addr = a
			if !t.trusted(a) {
				return a, true
			}
		}
	}
	return addr, true
}

// viewerScheme: configuration first, then a trusted proxy's X-Forwarded-Proto, then the
// connection. Never guessed from anything a viewer controls.
func viewerScheme(configured string, trustedPeer bool, r *http.Request) string {
	if configured != "" {
		return configured
	}
	if trustedPeer {
		if p := r.Header.Get("X-Forwarded-Proto"); p == "https" || p == "http" {
			return p
		}
	}
	if r.TLS != nil {
		return "https"
	}
	return "http"
}

// splitTarget splits the raw request target into path and query (no '?').
func splitTarget(uri string) (path, query string, hasQuery bool) {
	if i := strings.IndexByte(uri, '?'); i >= 0 {
		return uri[:i], uri[i+1:], true
	}
	return uri, "", false
}

// stripSigningParams removes the five signing parameters (byte-exact names, spec §9.2) from a
// raw query, keeping every other piece (empty ones included) in order and unchanged.
func stripSigningParams(q string) string {
	if q == "" {
		return q
	}
	hit := false
	for piece := range strings.SplitSeq(q, "&") {
		if cfsign.IsSigningParam(pieceName(piece)) {
			hit = true
			break
		}
	}
	if !hit {
		return q
	}
	var b strings.Builder
	first := true
	for piece := range strings.SplitSeq(q, "&") {
		if cfsign.IsSigningParam(pieceName(piece)) {
			continue
		}
		if !first {
			b.WriteByte('&')
		}
		first = false
		b.WriteString(piece)
	}
	return b.String()
}

func pieceName(piece string) string {
	if i := strings.IndexByte(piece, '='); i >= 0 {
		return piece[:i]
	}
	return piece
}

// filterQuery keeps the raw pieces whose decoded name is in names ("*" = all), in order.
func filterQuery(q string, names []string) string {
	if q == "" || len(names) == 0 {
		return ""
	}
	for _, n := range names {
		if n == "*" {
			return q
		}
	}
	var b strings.Builder
	for piece := range strings.SplitSeq(q, "&") {
		name, ok := percentDecode(pieceName(piece))
		if !ok {
			continue
		}
		for _, n := range names {
			if n == name {
				if b.Len() > 0 {
					b.WriteByte('&')
				}
				b.WriteString(piece)
				break
			}
		}
	}
	return b.String()
}

// filterCookies returns the viewer's Cookie header values without the CloudFront-* signing
// cookies; when only is non-nil, keeps just those names.
func filterCookies(h http.Header, only []string, all bool) string {
	vals := h.Values("Cookie")
	if len(vals) == 0 {
		return ""
	}
	var b strings.Builder
	for _, v := range vals {
		for c := range strings.SplitSeq(v, ";") {
			c = strings.TrimSpace(c)
			if c == "" {
				continue
			}
			name := c
			if i := strings.IndexByte(c, '='); i >= 0 {
				name = c[:i]
			}
			if cfsign.IsSigningCookie(name) {
				continue
			}
			if !all {
				keep := false
				for _, n := range only {
					if n == name {
						keep = true
						break
					}
				}
				if !keep {
					continue
				}
			}
			if b.Len() > 0 {
				b.WriteString("; ")
			}
			b.WriteString(c)
		}
	}
	return b.String()
}

// headerBytes approximates the size of the request header block for the spec's 20,480-byte limit.
func headerBytes(r *http.Request) int {
	n := len(r.Method) + len(r.RequestURI) + len(r.Proto) + 4 + len(r.Host) + 8
	for k, vs := range r.Header {
		for _, v := range vs {
			n += len(k) + len(v) + 4
		}
	}
	return n
}
