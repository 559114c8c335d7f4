package issuer

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/signet-project/signet/sigv4"
)

// Authenticator recognises and checks one kind of credential.
//
// Authenticate returns ok=false and a nil error when r carries no credential of its kind
// ("not mine": the next authenticator is tried), ok=true with the identity when the
// credential is good, and a non-nil error when the credential is its kind but bad (the
// request is refused; no other authenticator is tried). Implementations are safe for
// concurrent use.
type Authenticator interface {
	Authenticate(r *http.Request) (Identity, bool, error)
}

// APIKeyHeader carries a static API key.
const APIKeyHeader = "X-Api-Key"

// maxAPIKey bounds the X-Api-Key header accepted.
const maxAPIKey = 512

// apiKeyAuth checks X-Api-Key against SHA-256 hashes, in constant time.
type apiKeyAuth struct {
	hashes [][32]byte
	ids    []Identity
}

func newAPIKeyAuth(keys []APIKey) *apiKeyAuth {
	a := &apiKeyAuth{}
	for _, k := range keys {
		var h [32]byte
		b, _ := hex.DecodeString(k.SHA256) // validated by Config.Validate
		copy(h[:], b)
		a.hashes = append(a.hashes, h)
		a.ids = append(a.ids, Identity{Subject: k.User, Groups: k.Groups, Method: AuthAPIKey})
	}
	return a
}

// HashAPIKey returns the SHA-256 hex form of an API key, as stored in the config.
func HashAPIKey(key string) string {
	h := sha256.Sum256([]byte(key))
	return hex.EncodeToString(h[:])
}

// Authenticate implements Authenticator.
func (a *apiKeyAuth) Authenticate(r *http.Request) (Identity, bool, error) {
	vs := r.Header.Values(APIKeyHeader)
	if len(vs) == 0 {
		return Identity{}, false, nil
	}
	if len(vs) > 1 || vs[0] == "" || len(vs[0]) > maxAPIKey {
		return Identity{}, true, apiErr(CodeUnauthenticated, nil, "invalid API key")
	}
	h := sha256.Sum256([]byte(vs[0]))
	found := -1
	// Compare with every entry so the time taken does not depend on which one matched.
	for i := range a.hashes {
		if subtle.ConstantTimeCompare(h[:], a.hashes[i][:]) == 1 {
			found = i
		}
	}
	if found < 0 {
		return Identity{}, true, apiErr(CodeUnauthenticated, nil, "invalid API key")
	}
	return a.ids[found], true, nil
}

// sigv4Auth authenticates API Gateway style IAM requests (service execute-api).
type sigv4Auth struct {
	v     *sigv4.Verifier
	users map[string]Identity
	clock func() time.Time
}

// SigV4Service is the credential scope service the issuer accepts, as API Gateway.
const SigV4Service = "execute-api"

func newSigV4Auth(c AuthenticatorConfig, clock func() time.Time) (*sigv4Auth, error) {
	creds := sigv4.StaticCredentials{}
	users := map[string]Identity{}
	for _, k := range c.Credentials {
		creds[k.AccessKeyID] = sigv4.Credentials{AccessKeyID: k.AccessKeyID, SecretAccessKey: k.SecretAccessKey}
		users[k.AccessKeyID] = Identity{Subject: k.User, Groups: k.Groups, Method: AuthSigV4}
	}
	v, err := sigv4.NewVerifier(sigv4.VerifierConfig{
		Region:        c.Region,
		Service:       SigV4Service,
		Skew:          5 * time.Minute, // CLARIFICATIONS.md: API Gateway's skew
		Credentials:   creds,
		MaxBodyBuffer: maxBody,
	})
	if err != nil {
		return nil, err
	}
	return &sigv4Auth{v: v, users: users, clock: clock}, nil
}

// claims reports whether r carries a SigV4 (or other AWS) signature.
func isAWSSigned(r *http.Request) bool {
	if a := r.Header.Get("Authorization"); strings.HasPrefix(a, "AWS4-") || strings.HasPrefix(a, "AWS ") {
		return true
	}
	q := r.URL.RawQuery
	return strings.Contains(q, "X-Amz-Signature=") || strings.Contains(q, "X-Amz-Credential=") ||
		strings.Contains(q, "X-Amz-Algorithm=")
}

// Authenticate implements Authenticator. The body (bounded) is hashed and replaced by the
// verified copy.
func (a *sigv4Auth) Authenticate(r *http.Request) (Identity, bool, error) {
	if !isAWSSigned(r) {
		return Identity{}, false, nil
	}
	res, err := a.v.Verify(r, a.clock())
	if err != nil {
		e := &Error{Code: CodeUnauthenticated, Cause: err}
		var se *sigv4.Error
		if errors.As(err, &se) {
			e.AWSType, e.Message = se.APIGateway()
			if se.Reason == sigv4.BodyTooLarge {
				e.Code, e.AWSType, e.Message = CodeTooLarge, "", "request body too large"
			}
		} else {
			e.Message = "invalid signature"
		}
		return Identity{}, true, e
	}
	if res.Body != nil {
		r.Body = res.Body
	}
	id, ok := a.users[res.AccessKeyID]
	if !ok { // cannot happen: the verifier found the key in the same map
		return Identity{}, true, apiErr(CodeUnauthenticated, nil, "unknown access key")
	}
	return id, true, nil
}

// SessionCookie is the name of the dev-login session cookie.
const SessionCookie = "signet_session"

// sessionAuth checks the HMAC-signed dev-login cookie: base64url("v1|user|expiry-unix") "."
// base64url(HMAC-SHA256(key, "signet-session|" + payload)).
type sessionAuth struct {
	key   []byte
	users map[string]bool
	clock func() time.Time
}

func (a *sessionAuth) mac(payload string) []byte {
	m := hmac.New(sha256.New, a.key)
	m.Write([]byte("signet-session|"))
	m.Write([]byte(payload))
	return m.Sum(nil)
}

// issue returns a cookie value for user valid until exp.
func (a *sessionAuth) issue(user string, exp time.Time) string {
	p := "v1|" + user + "|" + strconv.FormatInt(exp.Unix(), 10)
	return base64.RawURLEncoding.EncodeToString([]byte(p)) + "." + base64.RawURLEncoding.EncodeToString(a.mac(p))
}

// Authenticate implements Authenticator.
func (a *sessionAuth) Authenticate(r *http.Request) (Identity, bool, error) {
	c, err := r.Cookie(SessionCookie)
	if err != nil {
		return Identity{}, false, nil
	}
	fail := apiErr(CodeUnauthenticated, nil, "invalid or expired session")
	p64, s64, ok := strings.Cut(c.Value, ".")
	if !ok || len(c.Value) > 512 {
		return Identity{}, true, fail
	}
	p, err1 := base64.RawURLEncoding.DecodeString(p64)
	sig, err2 := base64.RawURLEncoding.DecodeString(s64)
	if err1 != nil || err2 != nil || !hmac.Equal(sig, a.mac(string(p))) {
		return Identity{}, true, fail
	}
	parts := strings.Split(string(p), "|")
	if len(parts) != 3 || parts[0] != "v1" {
		return Identity{}, true, fail
	}
	exp, err := strconv.ParseInt(parts[2], 10, 64)
	if err != nil || a.clock().Unix() >= exp || !a.users[parts[1]] {
		return Identity{}, true, fail
	}
	return Identity{Subject: parts[1], Method: AuthSession}, true, nil
}
