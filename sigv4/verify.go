package sigv4

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// CredentialStore resolves an access key ID to its credentials. Implementations must be safe
// for concurrent use. A SessionToken in the returned Credentials makes the token mandatory on
// requests using that key (spec/sigv4.md §8 D9).
type CredentialStore interface {
	Lookup(accessKeyID string) (Credentials, bool)
}

// StaticCredentials is a fixed CredentialStore keyed by access key ID.
type StaticCredentials map[string]Credentials

// Lookup implements CredentialStore.
func (s StaticCredentials) Lookup(accessKeyID string) (Credentials, bool) {
	c, ok := s[accessKeyID]
	return c, ok
}

// VerifierConfig configures a Verifier. Each field says what its zero value means.
type VerifierConfig struct {
	Region  string // credential scope region; "" = "us-east-1" (spec/sigv4.md §8 D6)
	Service string // credential scope service; "" = "s3" with S3, required otherwise
	// S3 selects the S3 profile: single-encoded unnormalised path, payload field from
	// x-amz-content-sha256, streaming and trailer uploads verified while the body is read.
	S3 bool
	// Skew is the allowed clock difference; 0 = 15 min for S3, 5 min otherwise.
	Skew time.Duration
	// Credentials resolves access keys; required (fail closed).
	Credentials CredentialStore
	// MaxBodyBuffer bounds the body read into memory to hash it (non-S3); 0 = 1 MiB.
	MaxBodyBuffer int64
	// DisableNormalization keeps dot segments and empty segments of non-S3 paths (the suite's
	// *-unnormalized cases); ignored for S3, which never normalises.
	DisableNormalization bool
	// KeyCacheSize bounds the derived-key cache; 0 = 1024.
	KeyCacheSize int
}

// Verifier authenticates SigV4 requests (header and presigned forms). It is safe for
// concurrent use.
type Verifier struct {
	cfg     VerifierConfig
	skew    time.Duration
	maxBody int64
	keys    *keyCache

	// tokenAfterSigning accepts a session token that was added after signing (unsigned header,
	// or excluded from the canonical query). Test-only: the suite's post-sts-header-after.
	tokenAfterSigning bool
}

// ErrNoCredentials is returned by NewVerifier without a CredentialStore.
var ErrNoCredentials = errors.New("sigv4: verifier needs a credential store")

// NewVerifier validates cfg and returns a Verifier.
func NewVerifier(cfg VerifierConfig) (*Verifier, error) {
	if cfg.Credentials == nil {
		return nil, ErrNoCredentials
	}
	if cfg.Region == "" {
		cfg.Region = "us-east-1"
	}
	if cfg.Service == "" && cfg.S3 {
		cfg.Service = "s3"
	}
	var errs []error
	if !validScopePart(cfg.Region) {
		errs = append(errs, errors.New("sigv4: invalid verifier region"))
	}
	if !validScopePart(cfg.Service) {
		errs = append(errs, errors.New("sigv4: verifier needs a service"))
	}
	if cfg.Skew < 0 || cfg.MaxBodyBuffer < 0 || cfg.KeyCacheSize < 0 {
		errs = append(errs, errors.New("sigv4: negative skew, body buffer or cache size"))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	v := &Verifier{cfg: cfg, skew: cfg.Skew, maxBody: cfg.MaxBodyBuffer, keys: newKeyCache(cfg.KeyCacheSize)}
	if v.skew == 0 {
		v.skew = 5 * time.Minute
		if cfg.S3 {
			v.skew = 15 * time.Minute
		}
	}
	if v.maxBody == 0 {
		v.maxBody = 1 << 20
	}
	return v, nil
}

// FlushKeys empties the derived-key cache; call it after reloading credentials.
func (v *Verifier) FlushKeys() { v.keys.flush() }

// Result is what a successful Verify learned.
type Result struct {
	AccessKeyID   string
	Presigned     bool
	SignedHeaders []string
	PayloadHash   string // payload field as declared (hex, UNSIGNED-PAYLOAD, STREAMING-…)
	// Body is the verified body (decoded if aws-chunked), nil when the request has none. A Read
	// returns an *Error instead of io.EOF when the body does not match what was signed or
	// declared; consumers must treat only a clean io.EOF as success.
	Body          io.ReadCloser
	DecodedLength int64     // payload size if known, -1 otherwise
	Expires       time.Time // presigned: end of validity
	Path          string    // the wire path that was verified
	Query         string    // the raw query that was verified
	SessionToken  bool      // a session token was presented and matched
	// ContentEncoding is the request's Content-Encoding without aws-chunked, what a store
	// keeps for the object (spec/sigv4.md §3.1); "" when nothing else remains.
	ContentEncoding string
}

func parseAmzDate(s string) (time.Time, bool) {
	if len(s) != 16 || s[8] != 'T' || s[15] != 'Z' || !allDigits(s[:8]) || !allDigits(s[9:15]) {
		return time.Time{}, false
	}
	t, err := time.Parse(amzDateFormat, s)
	return t, err == nil
}

// requestPath returns the raw wire path (spec/sigv4.md §2.1): RequestURI up to '?', with the
// scheme and authority of an absolute-form target removed.
func requestPath(r *http.Request) string {
	u := r.RequestURI
	if u == "" {
		return wirePath(r)
	}
	if i := strings.IndexByte(u, '?'); i >= 0 {
		u = u[:i]
	}
	if u != "" && u[0] != '/' && u != "*" {
		if i := strings.Index(u, "://"); i >= 0 {
			u = u[i+3:]
			if j := strings.IndexByte(u, '/'); j >= 0 {
				u = u[j:]
			} else {
				u = "/"
			}
		}
	}
	return u
}

// Verify authenticates r at time now (read once by the caller), in the order of spec/sigv4.md
// §2.2: mechanism, strict parse, scope, X-Amz-Date, skew or presign window, access key and
// token, signed-header rules, signature, body. Every failure is an *Error.
//
// S3 profile: the body is not read here; Result.Body verifies it while the caller streams it
// (hex SHA-256 at EOF, aws-chunked chunk signatures, trailers, x-amz-checksum-*, Content-MD5).
// Other profiles: the body is read (at most MaxBodyBuffer), hashed and checked here, and
// Result.Body replays it.
func (v *Verifier) Verify(r *http.Request, now time.Time) (*Result, error) {
	res, e := v.verify(r, now)
	if e != nil {
		return nil, e
	}
	return res, nil
}

// auth is the parsed authentication of either form.
type auth struct {
	presign bool
	a       *Authorization
	amzDate string
	expires int64
	token   string
	hasTok  bool
	qsha    string
}

func (v *Verifier) verify(r *http.Request, now time.Time) (*Result, *Error) {
	if r == nil || r.URL == nil {
		return nil, newErr(MissingAuth, "AccessDenied", http.StatusForbidden, msgAccessDenied, "no request")
	}
	// 1. Mechanism.
	qs, e := scanQuery(r.URL.RawQuery)
	if e != nil {
		return nil, e
	}
	authz, hasHeader := r.Header["Authorization"]
	presign := qs.presignAttempt()
	switch {
	case hasHeader && (presign || qs.sigv2):
		return nil, newErr(MultipleAuth, "InvalidArgument", http.StatusBadRequest, msgOneMechanism, "authorization header and query authentication")
	case !hasHeader && qs.sigv2 && !presign:
		return nil, newErr(UnsupportedAlgorithm, "InvalidRequest", http.StatusBadRequest, msgUnsupported, "SigV2 query authentication")
	case !hasHeader && !presign:
		e := newErr(MissingAuth, "AccessDenied", http.StatusForbidden, msgAccessDenied, "no authentication")
		return nil, e
	}

	// 2. Strict parse.
	var au auth
	if presign {
		pq, e := parsePresigned(&qs)
		if e != nil {
			return nil, e
		}
		au = auth{presign: true, a: &pq.Credential, amzDate: pq.Date, expires: pq.Expires, token: pq.SecurityToken, hasTok: pq.HasToken, qsha: pq.ContentSHA256}
		if _, found := slices.BinarySearch(pq.Credential.SignedHeaders, "x-amz-date"); found {
			// spec/sigv4.md §1.9: the date travels in the query only.
			return nil, queryError(MalformedPresign, "X-Amz-Date must not be a signed header of a presigned request.", "presigned request signs an x-amz-date header")
		}
	} else {
		if len(authz) != 1 {
			return nil, headerMalformed(MalformedAuthorization, "repeated authorization header", "the header is repeated.", "Authorization header is repeated.")
		}
		if strings.HasPrefix(authz[0], "AWS ") || strings.HasPrefix(authz[0], "AWS4-ECDSA-") {
			return nil, newErr(UnsupportedAlgorithm, "InvalidRequest", http.StatusBadRequest, msgUnsupported, "SigV2 or SigV4a authorization")
		}
		a, e := parseAuthorization(authz[0])
		if e != nil {
			return nil, e
		}
		au = auth{a: a}
		if toks := r.Header["X-Amz-Security-Token"]; len(toks) > 0 {
			au.token, au.hasTok = toks[0], true
			if len(toks) > 1 {
				return nil, newErr(BadToken, "InvalidToken", http.StatusBadRequest, msgInvalidToken, "repeated security token")
			}
		}
	}
	a := au.a

	// 3. Credential scope.
	if e := v.checkScope(a, au.presign); e != nil {
		return nil, e
	}

	// 4. X-Amz-Date.
	if !au.presign {
		ds := r.Header["X-Amz-Date"]
		if len(ds) == 0 {
			e := newErr(MissingDate, "AccessDenied", http.StatusForbidden, msgNoDate, "no x-amz-date header")
			e.apiMsg = "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header."
			return nil, e
		}
		if len(ds) > 1 {
			return nil, newErr(BadDate, "AccessDenied", http.StatusForbidden, msgNoDate, "repeated x-amz-date header")
		}
		au.amzDate = ds[0]
	}
	t, ok := parseAmzDate(au.amzDate)
	if !ok {
		if au.presign {
			return nil, queryError(BadDate, msgQueryDate, "X-Amz-Date does not parse")
		}
		e := newErr(BadDate, "AccessDenied", http.StatusForbidden, msgNoDate, "x-amz-date does not parse")
		e.apiMsg = "Date must be in ISO-8601 'basic format'. Got '" + au.amzDate + "'. See http://en.wikipedia.org/wiki/ISO_8601"
		return nil, e
	}
	if au.amzDate[:8] != a.Date {
		const m = "Invalid credential date. Date is not the same as X-Amz-Date."
		if au.presign {
			return nil, queryError(DateMismatch, m, "scope date differs from X-Amz-Date")
		}
		return nil, headerMalformed(DateMismatch, "scope date differs from X-Amz-Date", m, "Credential should be scoped to a valid region and date.")
	}

	// 5. Skew or presign window (one clock read, by the caller: trap T8).
	res := &Result{AccessKeyID: a.AccessKeyID, Presigned: au.presign, SignedHeaders: a.SignedHeaders, DecodedLength: -1, Query: r.URL.RawQuery}
	if au.presign {
		end := t.Add(time.Duration(au.expires) * time.Second)
		res.Expires = end
		if now.Before(t.Add(-v.skew)) {
			e := newErr(NotYetValid, "AccessDenied", http.StatusForbidden, msgNotYetValid, "presigned request dated in the future",
				[2]string{"X-Amz-Date", au.amzDate}, [2]string{"ServerTime", now.UTC().Format(time.RFC3339)})
			e.amzDate, e.now, e.skew = au.amzDate, now, v.skew
			return nil, e
		}
		if !now.Before(end) {
			e := newErr(Expired, "AccessDenied", http.StatusForbidden, msgExpired, "presigned request expired",
				[2]string{"X-Amz-Expires", strconv.FormatInt(au.expires, 10)},
				[2]string{"Expires", end.UTC().Format(time.RFC3339)},
				[2]string{"ServerTime", now.UTC().Format(time.RFC3339)})
			e.amzDate, e.now, e.skew = au.amzDate, now, v.skew
			return nil, e
		}
	} else if d := now.Sub(t); d > v.skew || -d > v.skew {
		e := newErr(Skewed, "RequestTimeTooSkewed", http.StatusForbidden, msgSkewed, "request time outside the allowed skew",
			[2]string{"RequestTime", au.amzDate}, [2]string{"ServerTime", now.UTC().Format(time.RFC3339)},
			[2]string{"MaxAllowedSkewMilliseconds", strconv.FormatInt(v.skew.Milliseconds(), 10)})
		e.amzDate, e.now, e.skew = au.amzDate, now, v.skew
		return nil, e
	}

	// 6. Access key and session token.
	cred, ok := v.cfg.Credentials.Lookup(a.AccessKeyID)
	if !ok || cred.SecretAccessKey == "" || fipsShortSecret(cred.SecretAccessKey) {
		return nil, newErr(UnknownAccessKey, "InvalidAccessKeyId", http.StatusForbidden, msgInvalidKey, "unknown access key",
			[2]string{"AWSAccessKeyId", a.AccessKeyID})
	}
	switch {
	case cred.SessionToken == "" && au.hasTok:
		return nil, newErr(BadToken, "InvalidToken", http.StatusBadRequest, msgInvalidToken, "session token for long-term credentials")
	case cred.SessionToken != "" && !au.hasTok:
		return nil, newErr(BadToken, "InvalidToken", http.StatusBadRequest, msgInvalidToken, "missing session token")
	case cred.SessionToken != "" && subtle.ConstantTimeCompare([]byte(cred.SessionToken), []byte(au.token)) != 1:
		return nil, newErr(BadToken, "InvalidToken", http.StatusBadRequest, msgInvalidToken, "wrong session token")
	}
	res.SessionToken = au.hasTok

	// 7. Signed-header rules.
	payload, e := v.checkHeaders(r, &au)
	if e != nil {
		return nil, e
	}
	res.PayloadHash = payload

	// Non-S3 profiles sign the body hash itself: read it (bounded) unless a signed
	// x-amz-content-sha256 declares it, in which case it is compared after the signature.
	var body []byte
	hasBody := r.Body != nil && r.Body != http.NoBody
	if !v.cfg.S3 && payload == "" {
		if hasBody {
			b, e := v.readBody(r)
			if e != nil {
				return nil, e
			}
			body = b
		}
		sum := sha256.Sum256(body)
		payload = hex.EncodeToString(sum[:])
		res.PayloadHash = payload
	}

	// 8. Signature.
	path := requestPath(r)
	res.Path = path
	uri, err := canonicalURI(path, v.cfg.S3, !v.cfg.DisableNormalization)
	if err != nil {
		return nil, errBadURI("path")
	}
	var skip func(string) bool
	if au.presign {
		skip = func(n string) bool {
			return n == "X-Amz-Signature" || v.tokenAfterSigning && n == "X-Amz-Security-Token"
		}
	}
	query, err := canonicalQuery(r.URL.RawQuery, skip)
	if err != nil {
		return nil, errBadURI("query")
	}
	cr, missing := appendCanonicalRequest(make([]byte, 0, 512), &request{method: r.Method, uri: uri, query: query, signed: a.SignedHeaders, payload: payload, r: r})
	if missing != "" {
		return nil, errSignature(MissingSignedHeader, "signed header "+missing+" is absent")
	}
	sts := appendStringToSign(make([]byte, 0, 128), au.amzDate, a.Scope(), cr)
	key := v.keys.get(keyID{a.AccessKeyID, cred.SecretAccessKey, a.Date, a.Region, a.Service})
	want := signRaw(&key, sts)
	var got [32]byte
	if !isHex64(a.Signature) {
		// Compare anyway so that timing does not depend on the shape of the signature.
		hmac.Equal(want[:], got[:])
		return nil, v.mismatch(cr, sts, "signature is not 64 lower-case hex digits")
	}
	_, _ = hex.Decode(got[:], []byte(a.Signature))
	if !hmac.Equal(want[:], got[:]) {
		return nil, v.mismatch(cr, sts, "signature mismatch")
	}

	// 9. Body.
	if !v.cfg.S3 {
		if body != nil {
			res.Body = io.NopCloser(bytes.NewReader(body))
			res.DecodedLength = int64(len(body))
		} else if hasBody {
			// The declared hash was signed; read, hash and compare now.
			b, e := v.readBody(r)
			if e != nil {
				return nil, e
			}
			sum := sha256.Sum256(b)
			if hex.EncodeToString(sum[:]) != payload {
				return nil, payloadMismatch(payload, sum[:])
			}
			res.Body = io.NopCloser(bytes.NewReader(b))
			res.DecodedLength = int64(len(b))
		} else {
			if payload != EmptyPayloadHash {
				return nil, payloadMismatch(payload, emptySum[:])
			}
			res.DecodedLength = 0
		}
		return res, nil
	}
	if e := v.wrapBody(r, &au, key, res); e != nil {
		return nil, e
	}
	return res, nil
}

var emptySum = sha256.Sum256(nil)

func (v *Verifier) mismatch(cr, sts []byte, detail string) *Error {
	e := errSignature(SignatureMismatch, detail)
	e.CanonicalRequest = string(cr)
	e.StringToSign = string(sts)
	return e
}

func payloadMismatch(declared string, computed []byte) *Error {
	return newErr(PayloadMismatch, "XAmzContentSHA256Mismatch", http.StatusBadRequest, msgSHA256Mismatch, "body hash differs from x-amz-content-sha256",
		[2]string{"ClientComputedContentSHA256", declared}, [2]string{"S3ComputedContentSHA256", hex.EncodeToString(computed)})
}

func (v *Verifier) readBody(r *http.Request) ([]byte, *Error) {
	b, err := io.ReadAll(io.LimitReader(r.Body, v.maxBody+1))
	if err != nil {
		return nil, newErr(BodyReadError, "IncompleteBody", http.StatusBadRequest, msgIncompleteBody, "reading the body failed")
	}
	if int64(len(b)) > v.maxBody {
		return nil, newErr(BodyTooLarge, "EntityTooLarge", http.StatusRequestEntityTooLarge, msgEntityTooLarge, "body over the verifier's buffer limit")
	}
	return b, nil
}

// checkScope is step 3 of spec/sigv4.md §2.2: 8-digit date, configured region, the
// profile's service, "aws4_request" (§2.3 wording).
func (v *Verifier) checkScope(a *Authorization, presign bool) *Error {
	fail := func(reason Reason, msg, detail string, extra ...[2]string) *Error {
		if presign {
			e := queryError(reason, "Error parsing the X-Amz-Credential parameter; "+msg, detail)
			e.Extra = extra
			return e
		}
		e := headerMalformed(reason, detail, msg, "Credential should be scoped to a valid region.")
		e.Extra = extra
		return e
	}
	if len(a.Date) != 8 || !allDigits(a.Date) {
		return fail(BadScope, "incorrect date format \""+a.Date+"\". This date in the credential must be in the format \"yyyyMMdd\".", "scope date is not yyyyMMdd")
	}
	if _, err := time.Parse("20060102", a.Date); err != nil {
		return fail(BadScope, "incorrect date format \""+a.Date+"\". This date in the credential must be in the format \"yyyyMMdd\".", "scope date is not a date")
	}
	if a.Region != v.cfg.Region {
		return fail(WrongRegion, "the region '"+a.Region+"' is wrong; expecting '"+v.cfg.Region+"'", "wrong region", [2]string{"Region", v.cfg.Region})
	}
	if a.Service != v.cfg.Service {
		return fail(WrongService, "incorrect service \""+a.Service+"\". This endpoint belongs to \""+v.cfg.Service+"\".", "wrong service")
	}
	if a.Terminator != terminator {
		return fail(BadScope, "incorrect terminal \""+a.Terminator+"\". This endpoint uses \"aws4_request\".", "wrong scope terminator")
	}
	return nil
}

// checkHeaders is step 7 (spec/sigv4.md §2.3): host and every x-amz-* header signed, S3
// x-amz-content-sha256 rules, no aws-chunked on presigned requests. It returns the payload
// field ("" for non-S3 without a signed x-amz-content-sha256: the body hash is used).
func (v *Verifier) checkHeaders(r *http.Request, au *auth) (string, *Error) {
	a := au.a
	signed := func(n string) bool { _, ok := slices.BinarySearch(a.SignedHeaders, n); return ok }
	var payload string
	shaVals, hasSHA := r.Header["X-Amz-Content-Sha256"]
	if v.cfg.S3 && !au.presign {
		if !hasSHA {
			return "", newErr(MissingContentSHA256, "InvalidRequest", http.StatusBadRequest, msgMissingSHA256, "no x-amz-content-sha256")
		}
		if !signed("x-amz-content-sha256") {
			return "", newErr(ContentSHA256NotSigned, "InvalidRequest", http.StatusBadRequest, msgSHA256NotSigned, "x-amz-content-sha256 not signed")
		}
		payload = shaVals[0]
		switch {
		case len(shaVals) != 1:
			return "", newErr(BadContentSHA256, "InvalidArgument", http.StatusBadRequest, msgBadSHA256, "repeated x-amz-content-sha256")
		case isHex64(payload), payload == UnsignedPayload, payload == StreamingPayload,
			payload == StreamingPayloadTrailer, payload == StreamingUnsignedTrailer:
		case strings.HasPrefix(payload, "STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD"):
			return "", newErr(UnsupportedAlgorithm, "InvalidRequest", http.StatusBadRequest, msgUnsupported, "SigV4a streaming payload")
		default:
			return "", newErr(BadContentSHA256, "InvalidArgument", http.StatusBadRequest, msgBadSHA256, "bad x-amz-content-sha256 value")
		}
	} else if v.cfg.S3 {
		payload = UnsignedPayload
		if au.qsha != "" {
			if !isHex64(au.qsha) && au.qsha != UnsignedPayload {
				return "", newErr(BadContentSHA256, "InvalidArgument", http.StatusBadRequest, msgBadSHA256, "bad X-Amz-Content-Sha256 parameter")
			}
			payload = au.qsha
		}
		if strings.Contains(strings.ToLower(strings.Join(r.Header["Content-Encoding"], ",")), "aws-chunked") {
			return "", newErr(ChunkedPresign, "InvalidRequest", http.StatusBadRequest, msgChunkedPresign, "aws-chunked on a presigned request")
		}
	} else if hasSHA && signed("x-amz-content-sha256") {
		// Generic profiles: a signed x-amz-content-sha256 (suite sign_body, Lambda OAC) is the
		// body hash; anything else cannot be what was signed.
		if len(shaVals) != 1 || !isHex64(shaVals[0]) {
			return "", newErr(BadContentSHA256, "InvalidArgument", http.StatusBadRequest, msgBadSHA256, "bad x-amz-content-sha256 value")
		}
		payload = shaVals[0]
	}
	if !signed("host") {
		e := newErr(UnsignedHeaders, "AccessDenied", http.StatusForbidden, msgNotSigned, "host not signed", [2]string{"HeadersNotSigned", "host"})
		return "", e
	}
	var unsigned []string
	for k := range r.Header {
		if len(k) < 6 || !strings.EqualFold(k[:6], "x-amz-") {
			continue
		}
		n := strings.ToLower(k)
		if signed(n) {
			continue
		}
		if v.tokenAfterSigning && n == "x-amz-security-token" {
			continue
		}
		unsigned = append(unsigned, n)
	}
	if len(unsigned) > 0 {
		slices.Sort(unsigned)
		return "", newErr(UnsignedHeaders, "AccessDenied", http.StatusForbidden, msgNotSigned, "x-amz-* headers not signed: "+strings.Join(unsigned, ","),
			[2]string{"HeadersNotSigned", strings.Join(unsigned, ", ")})
	}
	return payload, nil
}
