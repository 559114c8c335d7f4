package cfsign

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/fips140"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/signet-project/signet/keys"
)

// TrustedKey is a public key the verifier trusts, with the hash algorithms it may be used with.
type TrustedKey struct {
	ID         string           // CloudFront public key ID (Key-Pair-Id), case-sensitive
	PublicKey  crypto.PublicKey // *rsa.PublicKey (2048 bits) or *ecdsa.PublicKey (P-256)
	Algorithms []HashAlgorithm  // allowed Hash-Algorithm values; empty is an error at NewVerifier
}

// KeyGroup is a named set of trusted keys, as a CloudFront key group.
type KeyGroup struct {
	Name string
	Keys []TrustedKey
}

// VerifierOptions tunes a [Verifier]. The zero value is CloudFront parity.
type VerifierOptions struct {
	// Skew widens both time bounds by this much (whole seconds); 0 = none, as CloudFront.
	Skew time.Duration
	// AllowIPv6 honours IPv6 AWS:SourceIp CIDRs (a signet extension CloudFront ignores); false
	// refuses policies holding one with MalformedPolicy.
	AllowIPv6 bool
	// CacheSize bounds the verified-signature cache (entries, rounded up to a multiple of 32
	// shards); 0 = 65536; < 0 disables the cache. The memo of whole verifications of repeated
	// requests (at most 2 KiB each) holds a quarter as many and is off with it.
	CacheSize int
}

// Carrier says where the signing parameters came from.
type Carrier int

// Carriers.
const (
	Query  Carrier = iota // signed URL (query parameters)
	Cookie                // signed cookies
)

// String returns "query" or "cookie".
func (c Carrier) String() string {
	if c == Cookie {
		return "cookie"
	}
	return "query"
}

// PolicyKind says whether a signature covers a canned or a custom policy.
type PolicyKind int

// Policy kinds.
const (
	Canned PolicyKind = iota // Expires: one URL until a time (spec/cloudfront.md §3)
	Custom                   // Policy: wildcards, start time, IP (spec/cloudfront.md §4)
)

// String returns "canned" or "custom".
func (k PolicyKind) String() string {
	if k == Custom {
		return "custom"
	}
	return "canned"
}

// Grant is the result of a successful verification.
type Grant struct {
	KeyPairID string
	Hash      HashAlgorithm
	Kind      PolicyKind
	Carrier   Carrier
	Policy    *Policy   // decoded (canned policies too); shared, read-only
	Expires   time.Time // DateLessThan
	Path      string    // raw path that was verified (bytes before '?')
	Query     string    // Q: raw query minus signing pieces (query carrier) / whole raw query (cookie carrier)
	Cached    bool      // the signature check was skipped: verified-signature cache or grant memo
}

// Viewer is the request as the viewer sent it (spec/cloudfront.md §8.3).
type Viewer struct {
	Scheme     string     // "http" or "https", from configuration or a trusted proxy, never guessed
	Host       string     // Host as sent, port included
	RequestURI string     // raw origin-form request target: path[?query], never decoded
	Cookie     string     // raw Cookie header values joined with "; " ("" = none)
	ClientIP   netip.Addr // already resolved (trusted proxies handled by the caller)
	Now        time.Time  // read once by the caller
}

// Limits of spec/cloudfront.md §9.8, checked before any crypto.
const (
	MaxHeaderBytes    = 20480
	MaxPolicyParam    = 8192
	MaxSignatureParam = 1024
	MaxQueryPieces    = 256
)

// keyEntry is a trusted key ready for verification.
type keyEntry struct {
	id        string
	group     string
	rsa       *rsa.PublicKey
	ec        *ecdsa.PublicKey
	allowSHA1 bool
	allow256  bool
}

// Verifier checks signed URLs and cookies against key groups. It is safe for concurrent use.
type Verifier struct {
	keys      map[string]*keyEntry
	skew      int64
	allowIPv6 bool
	cache     *sigCache // verified signatures
	memo      *sigCache // whole verifications of repeated requests (verifyMemo)
	seen      []atomic.Uint64
}

// NewVerifier builds a verifier trusting the keys of groups. It fails closed: no keys, a key
// that is not RSA-2048 or P-256, an ill-shaped ID, an empty or unknown algorithm list, or one ID
// bound to two different keys is an error. A nil opts means the defaults.
func NewVerifier(groups []KeyGroup, opts *VerifierOptions) (*Verifier, error) {
	var o VerifierOptions
	if opts != nil {
		o = *opts
	}
	if o.Skew < 0 {
		return nil, errors.New("cfsign: negative skew")
	}
	v := &Verifier{keys: map[string]*keyEntry{}, skew: int64(o.Skew / time.Second), allowIPv6: o.AllowIPv6}
	for _, g := range groups {
		for _, k := range g.Keys {
			if !validKeyPairID(k.ID) {
				return nil, fmt.Errorf("cfsign: key group %q: key id %q must be 1-128 characters of A-Z a-z 0-9 - _", g.Name, k.ID)
			}
			if err := keys.CheckPublicKey(k.PublicKey); err != nil {
				return nil, fmt.Errorf("cfsign: key %s: %w", k.ID, err)
			}
			if len(k.Algorithms) == 0 {
				return nil, fmt.Errorf("cfsign: key %s: empty algorithm list (want SHA1 and/or SHA256)", k.ID)
			}
			e := &keyEntry{id: k.ID, group: g.Name}
			switch pk := k.PublicKey.(type) {
			case *rsa.PublicKey:
				e.rsa = pk
			case *ecdsa.PublicKey:
				e.ec = pk
			}
			for _, a := range k.Algorithms {
				switch a {
				case SHA1:
					e.allowSHA1 = true
				case SHA256:
					e.allow256 = true
				default:
					return nil, fmt.Errorf("cfsign: key %s: unknown algorithm %q (want SHA1 or SHA256)", k.ID, string(a))
				}
			}
			if old, ok := v.keys[k.ID]; ok {
				if !samePublicKey(old, e) {
					return nil, fmt.Errorf("cfsign: key id %s is bound to two different keys", k.ID)
				}
				old.allowSHA1 = old.allowSHA1 && e.allowSHA1
				old.allow256 = old.allow256 && e.allow256
				continue
			}
			v.keys[k.ID] = e
		}
	}
	if len(v.keys) == 0 {
		return nil, errors.New("cfsign: no trusted keys (a verifier without keys would admit nothing)")
	}
	size := o.CacheSize
	if size == 0 {
		size = 65536
	}
	if size > 0 {
		v.cache = newSigCache(size)
		v.memo = newSigCache(max(cacheShards, size/4))
		v.seen = make([]atomic.Uint64, 4096)
	}
	return v, nil
}

func samePublicKey(a, b *keyEntry) bool {
	if a.rsa != nil {
		return b.rsa != nil && a.rsa.Equal(b.rsa)
	}
	return b.ec != nil && a.ec.Equal(b.ec)
}

// request is the parsed signing material of one request (steps 0–2).
type request struct {
	scheme, host, path string
	hasQuery           bool   // the target has a '?'
	query              string // raw query
	carrier            Carrier
	q                  string // Q (spec/cloudfront.md §2.2)
	hasOwn             bool   // at least one own query piece (URL mode)
	present            [nParams]bool
	vals               [nParams]string // raw values, still percent-encoded
}

// scratch is a pooled buffer for the decoded signature and policy bytes.
type scratch struct{ b []byte }

var scratchPool = sync.Pool{New: func() any { return &scratch{b: make([]byte, 0, 4096)} }}

// Verify checks a request's signed URL or signed cookies, in CloudFront's order
// (spec/cloudfront.md §8.1), and returns the grant or a [*RejectError]. It is the edge's hot
// path: a repeat of a cached signature allocates only the Grant.
func (v *Verifier) Verify(req *Viewer) (*Grant, error) {
	g, re := v.verify(req, nil)
	if re != nil {
		return nil, re
	}
	return g, nil
}

// VerifyTo is [Verifier.Verify] writing the grant into *g instead of allocating one; *g is
// set only when the error is nil.
func (v *Verifier) VerifyTo(req *Viewer, g *Grant) error {
	if re := v.verifyInto(req, nil, g); re != nil {
		return re
	}
	return nil
}

// VerifyURL verifies an absolute URL (as the viewer sends it: scheme://host/path?query, never
// decoded) with the given client address, time and raw Cookie header ("" = none).
func (v *Verifier) VerifyURL(rawURL string, clientIP netip.Addr, now time.Time, cookie string) (*Grant, error) {
	vw, err := ViewerFromURL(rawURL, clientIP, now, cookie)
	if err != nil {
		return nil, err
	}
	return v.Verify(vw)
}

// ViewerFromURL splits an absolute URL into a [Viewer] without decoding anything: scheme, host
// (port included) and the origin-form target ("/" when the URL has no path). A fragment or a
// scheme other than http/https gives a [*RejectError] with Reason BadRequestTarget.
func ViewerFromURL(rawURL string, clientIP netip.Addr, now time.Time, cookie string) (*Viewer, error) {
	scheme, rest, ok := strings.Cut(rawURL, "://")
	if !ok || (scheme != "http" && scheme != "https") {
		return nil, reject(BadRequestTarget, "not an absolute http:// or https:// url")
	}
	if strings.IndexByte(rawURL, '#') >= 0 {
		return nil, reject(BadRequestTarget, "url has a fragment")
	}
	i := strings.IndexAny(rest, "/?")
	host, target := rest, "/"
	if i >= 0 {
		host, target = rest[:i], rest[i:]
		if target[0] == '?' {
			target = "/" + target
		}
	}
	return &Viewer{Scheme: scheme, Host: host, RequestURI: target, Cookie: cookie, ClientIP: clientIP, Now: now}, nil
}

// dupReject maps a duplicated signing name to its code (spec/cloudfront.md §9.2).
func dupReject(p int, carrier Carrier) *RejectError {
	name := signingParams[p]
	if carrier == Cookie {
		name = "CloudFront-" + name
	}
	re := reject(DuplicateParameter, name+" appears more than once")
	switch p {
	case pKeyPairID:
		re.code = CodeInvalidKey
	case pSignature:
		re.code = CodeMalformedSignature
	case pPolicy, pExpires:
		re.code = CodeMalformedPolicy
	default:
		re.code = CodeAccessDenied
	}
	return re
}

// parseRequest runs steps 0–2: sizes and target shape, carrier choice, duplicates and
// disguised names.
func parseRequest(req *Viewer, r *request) *RejectError {
	if req == nil {
		return reject(BadRequestTarget, "no request")
	}
	if req.Scheme != "http" && req.Scheme != "https" {
		return reject(BadRequestTarget, "scheme is not http or https")
	}
	if req.Host == "" {
		return reject(BadRequestTarget, "no Host")
	}
	t := req.RequestURI
	if len(t) == 0 || t[0] != '/' {
		return reject(BadRequestTarget, "request target is not in origin form")
	}
	if len(req.Scheme)+3+len(req.Host)+len(t) > MaxURLBytes {
		return reject(TooLarge, "url longer than 8192 bytes")
	}
	if len(req.Cookie) > MaxHeaderBytes {
		return reject(TooLarge, "cookie header longer than 20480 bytes")
	}
	if strings.IndexByte(t, '#') >= 0 {
		return reject(BadRequestTarget, "request target has a fragment")
	}
	r.scheme, r.host = req.Scheme, req.Host
	r.path, r.query, r.hasQuery = t, "", false
	if i := strings.IndexByte(t, '?'); i >= 0 {
		r.path, r.query, r.hasQuery = t[:i], t[i+1:], true
	}
	if hasDotSegment(r.path) {
		return reject(BadRequestTarget, "path has a . or .. segment")
	}

	// Step 1–2, query: signing pieces byte-exact; Q = the other pieces, in order, verbatim.
	var dup [nParams]bool
	disguised := ""
	if r.hasQuery {
		pieces := 0
		// Q is a substring of the query while the own pieces are contiguous (the usual
		// layout: own parameters first, signing ones appended); otherwise it is rebuilt.
		qStart, qEnd := -1, -1
		contiguous := true
		var qb []byte
		rest := r.query
		off := 0
		for {
			pieces++
			if pieces > MaxQueryPieces {
				return reject(TooLarge, "more than 256 query pieces")
			}
			piece := rest
			i := strings.IndexByte(rest, '&')
			if i >= 0 {
				piece = rest[:i]
			}
			name, val, _ := strings.Cut(piece, "=")
			if p := paramIndex(name); p >= 0 {
				if r.present[p] {
					dup[p] = true
				}
				r.present[p], r.vals[p] = true, val
			} else {
				if disguised == "" && strings.IndexByte(name, '%') >= 0 {
					if d, ok := percentDecode(name); ok && IsSigningParam(d) {
						disguised = d
					}
				}
				if !r.hasOwn {
					qStart, qEnd = off, off+len(piece)
				} else if contiguous && qEnd == off-1 {
					qEnd = off + len(piece)
				} else {
					if contiguous {
						qb = append(qb, r.query[qStart:qEnd]...)
						contiguous = false
					}
					qb = append(qb, '&')
					qb = append(qb, piece...)
				}
				r.hasOwn = true
			}
			if i < 0 {
				break
			}
			rest = rest[i+1:]
			off += i + 1
		}
		if r.hasOwn {
			if contiguous {
				r.q = r.query[qStart:qEnd]
			} else {
				r.q = string(qb)
			}
		}
	}
	urlMode := false
	for _, p := range r.present {
		urlMode = urlMode || p
	}
	if urlMode {
		r.carrier = Query
	} else {
		// Cookie mode: Q is the whole raw query (spec/cloudfront.md §8.3).
		r.carrier = Cookie
		r.q, r.hasOwn = r.query, r.hasQuery
		c := req.Cookie
		for len(c) > 0 {
			var part string
			if i := strings.IndexByte(c, ';'); i >= 0 {
				part, c = c[:i], c[i+1:]
			} else {
				part, c = c, ""
			}
			part = strings.Trim(part, " \t")
			name, val, _ := strings.Cut(part, "=")
			if len(name) > len("CloudFront-") && name[:len("CloudFront-")] == "CloudFront-" {
				if p := paramIndex(name[len("CloudFront-"):]); p >= 0 {
					if r.present[p] {
						dup[p] = true
					}
					r.present[p], r.vals[p] = true, val
					continue
				}
			}
			if disguised == "" && strings.IndexByte(name, '%') >= 0 {
				if d, ok := percentDecode(name); ok && IsSigningCookie(d) {
					disguised = d
				}
			}
		}
	}
	any := false
	for _, p := range r.present {
		any = any || p
	}
	if !any && disguised == "" {
		return reject(MissingKey, "no signing parameters in the query or cookies")
	}
	for _, p := range [...]int{pKeyPairID, pSignature, pPolicy, pExpires, pHashAlgorithm} {
		if dup[p] {
			return dupReject(p, r.carrier)
		}
	}
	if disguised != "" {
		return reject(DisguisedParameter, "a parameter name percent-decodes to "+disguised)
	}
	return nil
}

// verify runs every check. With x nil it stops at the first failure (the hot path); with x set
// it records each check and carries on where the data allows, for Explain, and never uses the
// cache.
func (v *Verifier) verify(req *Viewer, x *Explanation) (*Grant, *RejectError) {
	g := new(Grant)
	if re := v.verifyInto(req, x, g); re != nil {
		return nil, re
	}
	return g, nil
}

// verifyInto is verify writing the grant into *g, which it sets only on success. The hot path
// (x nil, cache on) goes through the grant memo.
func (v *Verifier) verifyInto(req *Viewer, x *Explanation, g *Grant) *RejectError {
	if x == nil && v.memo != nil && req != nil {
		return v.verifyMemo(req, g)
	}
	return v.verifyFull(req, x, g, nil)
}

// maxMemoKey bounds the requests the grant memo keeps: a signed URL or a custom policy with its
// cookies fits; a request carrying a large unrelated Cookie header is verified the long way.
const maxMemoKey = 2048

// verifyMemo answers a repeat of a request that verified before. It goes further than the
// signature cache of spec/cloudfront.md §9.11 (which skips only step 7) without changing any
// answer. The memo is keyed on every byte the verification reads except the client address
// and the time: scheme, Host, request target and Cookie header, each length-prefixed so no two
// requests share a key. All else it depends on (trusted keys, algorithms, skew) is fixed for
// the Verifier's life, so steps 0–7 and the resource match would give the same result again.
// What the time and the address decide (step 8) is checked on every hit, and any doubt (a
// condition failing, a key too long, a miss) takes the full path, which gives the exact
// rejection. Only successes are remembered, and never past DateLessThan.
func (v *Verifier) verifyMemo(req *Viewer, g *Grant) *RejectError {
	n := 1 + 2 + len(req.Host) + 2 + len(req.RequestURI) + len(req.Cookie)
	if n > maxMemoKey || (req.Scheme != "http" && req.Scheme != "https") {
		return v.verifyFull(req, nil, g, nil)
	}
	// The key stays under maxMemoKey, so the scratch buffer always goes back to the pool.
	sc := scratchPool.Get().(*scratch)
	defer scratchPool.Put(sc)
	k := append(sc.b[:0], req.Scheme[len(req.Scheme)-1]) // 'p' (http) or 's' (https)
	k = append(k, byte(len(req.Host)>>8), byte(len(req.Host)))
	k = append(k, req.Host...)
	k = append(k, byte(len(req.RequestURI)>>8), byte(len(req.RequestURI)))
	k = append(k, req.RequestURI...)
	k = append(k, req.Cookie...)
	sc.b = k
	now := req.Now.Unix()
	h := v.memo.hash(k)
	if e := v.memo.get(h, k, now); e != nil && v.conditionsHold(e.cp, req.ClientIP, now) {
		*g = *e.grant
		g.Cached = true
		return nil
	}
	// A request is remembered the second time it verifies: a URL fetched once (one segment of
	// a stream under wildcard cookies) would only churn the memo. seen holds the hashes of
	// recent first sights; a collision there only admits a request early.
	slot := &v.seen[h%uint64(len(v.seen))]
	if slot.Load() != h {
		slot.Store(h)
		return v.verifyFull(req, nil, g, nil)
	}
	var cp *compiledPolicy
	if re := v.verifyFull(req, nil, g, &cp); re != nil {
		return re
	}
	gc := *g
	v.memo.put(h, k, cp, &gc, now)
	return nil
}

// conditionsHold is step 8 as a yes/no: the checks of verifyFull that depend on the time and
// the client address, the only inputs the grant memo's key leaves out.
func (v *Verifier) conditionsHold(cp *compiledPolicy, client netip.Addr, now int64) bool {
	p := cp.policy
	if !(now-v.skew < p.DateLessThan) {
		return false
	}
	if p.HasDateGreaterThan && !(now+v.skew > p.DateGreaterThan) {
		return false
	}
	if cp.hasIP {
		ip := client.Unmap()
		if !ip.IsValid() || !cp.ip.Contains(ip) {
			return false
		}
	}
	return true
}

// verifyFull runs every step. On success it sets *g and, when cpOut is not nil, the compiled
// policy the grant came from.
func (v *Verifier) verifyFull(req *Viewer, x *Explanation, g *Grant, cpOut **compiledPolicy) *RejectError {
	var first *RejectError
	if req == nil {
		req = &Viewer{}
	}
	fail := func(step string, re *RejectError) {
		if first == nil {
			first = re
		}
		if x != nil {
			x.add(step, false, re.Reason.String()+": "+re.Detail)
		}
	}
	var r request
	if re := parseRequest(req, &r); re != nil {
		fail("request", re)
		return first
	}
	if x != nil {
		x.Carrier = r.carrier
		x.add("request", true, fmt.Sprintf("signed %s, %s://%s%s", map[Carrier]string{Query: "url", Cookie: "cookies"}[r.carrier], r.scheme, r.host, r.path))
	}

	// Step 3: Key-Pair-Id present, well-shaped, trusted.
	var key *keyEntry
	kid, ok := percentDecode(r.vals[pKeyPairID])
	if x != nil {
		x.KeyPairID = kid
	}
	switch {
	case !r.present[pKeyPairID] || kid == "":
		fail("key", reject(MissingKey, "no Key-Pair-Id"))
		return first
	case !ok || !validKeyPairID(kid):
		fail("key", reject(MissingKey, "Key-Pair-Id is not 1-128 characters of A-Z a-z 0-9 - _"+keyIDHint(kid)))
		return first
	}
	key = v.keys[kid]
	if key == nil {
		fail("key", reject(UnknownKey, "key id "+kid+" is in no trusted key group"+keyIDHint(kid)))
		if x == nil {
			return first
		}
	} else if x != nil {
		x.add("key", true, "key id "+kid+" found in group "+key.group+" ("+key.kind()+")")
	}

	sc := scratchPool.Get().(*scratch)
	defer func() {
		if cap(sc.b) <= 64<<10 {
			scratchPool.Put(sc)
		}
	}()
	// Cache key layout: alg | len(id) | id | len(sig) (2 bytes) | sig | policy. Every signed
	// byte and everything that selects the verification key and digest.
	b := append(sc.b[:0], 0, byte(len(kid)))
	b = append(b, kid...)
	b = append(b, 0, 0)
	sigStart := len(b)

	// Step 4: Signature.
	sigRaw := r.vals[pSignature]
	sigOK := false
	switch {
	case !r.present[pSignature] || sigRaw == "":
		fail("signature", reject(MalformedSignature, "no Signature"))
	case len(sigRaw) > MaxSignatureParam:
		fail("signature", reject(MalformedSignature, "Signature longer than 1024 characters"))
	default:
		s, ok := percentDecode(sigRaw)
		if ok {
			b, ok = appendDecodeBase64(b, s)
		}
		if !ok {
			fail("signature", reject(MalformedSignature, "Signature is not CloudFront base64"))
		} else {
			sigOK = true
			if x != nil {
				x.add("signature", true, fmt.Sprintf("signature decodes to %d bytes", len(b)-sigStart))
			}
		}
	}
	if !sigOK && x == nil {
		sc.b = b
		return first
	}
	sigEnd := len(b)
	b[sigStart-2], b[sigStart-1] = byte((sigEnd-sigStart)>>8), byte(sigEnd-sigStart)

	// Step 5: Policy, else Expires.
	var kind PolicyKind
	var expiresRaw string
	polOK := false
	switch {
	case r.present[pPolicy]:
		kind = Custom
		pr := r.vals[pPolicy]
		if len(pr) > MaxPolicyParam {
			fail("policy", reject(MalformedPolicy, "Policy longer than 8192 characters"))
			break
		}
		s, ok := percentDecode(pr)
		if ok {
			b, ok = appendDecodeBase64(b, s)
		}
		if !ok {
			fail("policy", reject(MalformedPolicy, "Policy is not CloudFront base64"))
			break
		}
		polOK = true
	case r.present[pExpires]:
		kind = Canned
		e, ok := percentDecode(r.vals[pExpires])
		if _, valid := parseEpoch(e); !ok || !valid {
			fail("policy", reject(MalformedPolicy, "Expires is not 1-19 plain digits within int64"))
			break
		}
		expiresRaw = e
		b = appendCannedParts(b, r.scheme, r.host, r.path, r.hasOwn, r.q, e)
		polOK = true
	default:
		fail("policy", reject(MalformedPolicy, "neither Policy nor Expires"))
	}
	sc.b = b
	if x != nil {
		x.Kind = kind
	}
	if !polOK && x == nil {
		return first
	}
	policyBytes := b[sigEnd:]
	sig := b[sigStart:sigEnd]

	// Step 6: Hash-Algorithm.
	hash := SHA1
	var algAlg byte = 1
	hashOK := true
	if r.present[pHashAlgorithm] {
		h, _ := percentDecode(r.vals[pHashAlgorithm])
		switch h {
		case "SHA1":
		case "SHA256":
			hash, algAlg = SHA256, 2
		default:
			hashOK = false
			fail("algorithm", reject(AlgorithmNotAllowed, "Hash-Algorithm must be SHA1 or SHA256"))
		}
	}
	if x != nil {
		x.Hash = hash
	}
	if hashOK && key != nil {
		switch {
		case hash == SHA1 && !key.allowSHA1:
			hashOK = false
			fail("algorithm", reject(AlgorithmNotAllowed, "SHA1 is not allowed for key "+key.id))
		case hash == SHA256 && !key.allow256:
			hashOK = false
			fail("algorithm", reject(AlgorithmNotAllowed, "SHA256 is not allowed for key "+key.id))
		case hash == SHA1 && fips140.Enabled():
			// Refused before touching crypto/sha1, which panics under fips140=only (§9.4).
			hashOK = false
			fail("algorithm", reject(AlgorithmNotAllowed, "SHA-1 is unavailable in FIPS 140 mode; sign with --hash-algorithm SHA256"))
		}
		if hashOK && x != nil {
			x.add("algorithm", true, key.kind()+" with "+string(hash)+" (allowed for this key)")
		}
	}
	if x == nil && !hashOK {
		return first
	}
	b[0] = algAlg

	// Parse the policy (memoized in the cache with the verified signature: the same bytes
	// always parse the same way) and step 7.
	var cp *compiledPolicy
	var ent *cacheEntry
	var h uint64
	now := req.Now.Unix()
	if polOK && v.cache != nil && x == nil {
		h = v.cache.hash(b)
		ent = v.cache.get(h, b, now)
		if ent != nil {
			cp = ent.cp
		}
	}
	if polOK && cp == nil {
		var re *RejectError
		cp, re = v.compile(kind, policyBytes, r, expiresRaw)
		if re != nil {
			fail("policy", re)
			if x == nil {
				return first
			}
			polOK = false
		}
	}
	if polOK && x != nil {
		x.PolicyJSON = string(policyBytes)
		x.Policy = cp.policy
		x.add("policy", true, kind.String()+" policy parses")
	}
	sigVerified := ent != nil
	if !sigVerified && sigOK && polOK && hashOK && key != nil {
		if re := key.verify(hash, policyBytes, sig); re != nil {
			fail("verify", re)
			if x == nil {
				return first
			}
		} else {
			sigVerified = true
			if x != nil {
				x.add("verify", true, "signature verifies over the "+kind.String()+" policy")
			}
			if v.cache != nil && x == nil {
				v.cache.put(h, b, cp, nil, now)
			}
		}
	}
	if !polOK {
		return first
	}

	// Step 8: conditions, on whole seconds (spec/cloudfront.md §9.9).
	p := cp.policy
	if !(now-v.skew < p.DateLessThan) {
		fail("expiry", reject(Expired, "expired at "+fmtEpoch(p.DateLessThan)))
	} else if x != nil {
		x.add("expiry", true, "not expired: valid until "+fmtEpoch(p.DateLessThan))
	}
	if p.HasDateGreaterThan {
		if !(now+v.skew > p.DateGreaterThan) {
			fail("start", reject(NotYetValid, "not valid until after "+fmtEpoch(p.DateGreaterThan)))
		} else if x != nil {
			x.add("start", true, "started: valid after "+fmtEpoch(p.DateGreaterThan))
		}
	}
	if cp.hasIP {
		ip := req.ClientIP.Unmap()
		switch {
		case !ip.IsValid():
			fail("ip", reject(IPNotAllowed, "the policy restricts the client IP and none is known"))
		case !cp.ip.Contains(ip):
			fail("ip", reject(IPNotAllowed, "client ip "+ip.String()+" is outside "+cp.ip.String()))
		default:
			if x != nil {
				x.add("ip", true, "client ip "+ip.String()+" is inside "+cp.ip.String())
			}
		}
	}
	if kind == Custom {
		if !cp.pat.match(r.scheme, r.host, r.path, r.q) {
			fail("resource", reject(ResourceMismatch, "the policy Resource does not match "+r.scheme+"://"+r.host+r.path+qSuffix(r)))
		} else if x != nil {
			x.add("resource", true, "resource "+resourceOf(p)+" matches the url")
		}
	}
	if first != nil {
		return first
	}
	if !sigVerified {
		// Unreachable: every path that skips verification set first. Fail closed anyway.
		return reject(BadSignature, "signature not verified")
	}
	*g = Grant{
		KeyPairID: key.id,
		Hash:      hash,
		Kind:      kind,
		Carrier:   r.carrier,
		Policy:    p,
		Expires:   time.Unix(p.DateLessThan, 0),
		Path:      r.path,
		Query:     r.q,
		Cached:    ent != nil,
	}
	if cpOut != nil {
		*cpOut = cp
	}
	return nil
}

func qSuffix(r request) string {
	if r.hasOwn {
		return "?" + r.q
	}
	return ""
}

func resourceOf(p *Policy) string {
	if !p.HasResource {
		return "* (absent)"
	}
	return p.Resource
}

func fmtEpoch(t int64) string {
	if t >= 1e11 {
		return itoa(t) + " (milliseconds?)"
	}
	return itoa(t) + " (" + time.Unix(t, 0).UTC().Format(time.RFC3339) + ")"
}

// keyIDHint names common key id mix-ups (spec/cloudfront.md §10.13).
func keyIDHint(id string) string {
	switch {
	case strings.HasPrefix(id, "AKIA") || strings.HasPrefix(id, "ASIA"):
		return " (looks like an IAM access key id, not a CloudFront public key id)"
	case strings.HasPrefix(id, "APKA"):
		return " (a legacy CloudFront key pair id; use a key group's public key id)"
	case id == "undefined" || id == "null" || id == "None":
		return " (the signer's key id variable was unset)"
	case strings.Contains(id, "BEGIN"):
		return " (a PEM was sent as the key id)"
	}
	return ""
}

func (k *keyEntry) kind() string {
	if k.rsa != nil {
		return "RSA-2048"
	}
	return "ECDSA P-256"
}

// verify checks sig over policy with the named digest (step 7). Only that digest is computed:
// Hash-Algorithm already picked it from the key's allowed list (spec/cloudfront.md §6.1).
func (k *keyEntry) verify(hash HashAlgorithm, policy, sig []byte) *RejectError {
	var digest []byte
	var h crypto.Hash
	if hash == SHA256 {
		d := sha256.Sum256(policy)
		digest, h = d[:], crypto.SHA256
	} else {
		d := sha1.Sum(policy)
		digest, h = d[:], crypto.SHA1
	}
	if k.rsa != nil {
		if len(sig) != 256 {
			return reject(BadSignature, "RSA signature is not 256 bytes")
		}
		if rsa.VerifyPKCS1v15(k.rsa, h, digest, sig) != nil {
			return reject(BadSignature, "signature does not verify")
		}
		return nil
	}
	// ASN.1 DER only: raw r‖s (JOSE) is refused (spec/cloudfront.md §9.4).
	if !ecdsa.VerifyASN1(k.ec, digest, sig) {
		return reject(BadSignature, "signature does not verify (ECDSA DER)")
	}
	return nil
}

// compiledPolicy is a policy decoded and checked once, ready for step 8.
type compiledPolicy struct {
	policy *Policy
	pat    pattern
	ip     netip.Prefix
	hasIP  bool
}

// compile decodes and checks the policy bytes (step 5 beyond base64).
func (v *Verifier) compile(kind PolicyKind, policyBytes []byte, r request, expires string) (*compiledPolicy, *RejectError) {
	if kind == Canned {
		e, _ := parseEpoch(expires)
		res := string(policyBytes[len(cannedPrefix) : len(policyBytes)-len(cannedMiddle)-len(expires)-len(cannedSuffix)])
		return &compiledPolicy{policy: &Policy{Resource: res, HasResource: true, DateLessThan: e}}, nil
	}
	p, re := parsePolicy(policyBytes)
	if re != nil {
		return nil, re
	}
	cp := &compiledPolicy{policy: p}
	if p.HasResource {
		cp.pat, _ = compilePattern(p.Resource)
	} else {
		cp.pat = pattern{any: true}
	}
	if p.IPAddress != "" {
		pfx, err := parseSourceIP(p.IPAddress, v.allowIPv6)
		if err != nil {
			return nil, policyError(err.Error())
		}
		cp.ip, cp.hasIP = pfx, true
	}
	return cp, nil
}
