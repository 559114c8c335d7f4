package issuer

import (
	"bytes"
	"context"
	"crypto"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/signet-project/signet/keys"
	"github.com/signet-project/signet/sigv4"
	"github.com/signet-project/signet/store"
)

const (
	aliceKey = "alice-api-key-0123456789"
	bobKey   = "bob-api-key-0123456789ab"
	testKPID = "K2JCJMDEHXQW5F"
)

var testNow = time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)

// staticSource hands out one key.
type staticSource struct{ k crypto.Signer }

func (s staticSource) Signer(context.Context) (crypto.Signer, error) { return s.k, nil }

type failingSource struct{}

func (failingSource) Signer(context.Context) (crypto.Signer, error) {
	return nil, errors.New("backend down")
}

var (
	keyOnce sync.Once
	ecKey   crypto.Signer
	rsaKey  crypto.Signer
)

func testKeys(t testing.TB) (crypto.Signer, crypto.Signer) {
	keyOnce.Do(func() {
		ecKey, _ = keys.Generate(keys.ECDSA)
		rsaKey, _ = keys.Generate(keys.RSA)
	})
	return ecKey, rsaKey
}

// memStore is an in-memory store.Store for listing tests.
type memStore struct {
	mu   sync.Mutex
	objs map[string]store.ObjectInfo
	last store.ListOptions
}

func (m *memStore) ListBuckets(context.Context) ([]store.BucketInfo, error) { return nil, nil }
func (m *memStore) CreateBucket(context.Context, string) error              { return nil }
func (m *memStore) HeadBucket(context.Context, string) error                { return nil }
func (m *memStore) Head(context.Context, string, string) (*store.ObjectInfo, error) {
	return nil, store.ErrNotFound
}
func (m *memStore) Get(context.Context, string, string, *store.Range) (*store.ObjectInfo, io.ReadCloser, error) {
	return nil, nil, store.ErrNotFound
}
func (m *memStore) Put(_ context.Context, b, k string, r io.Reader, o store.PutOptions) (*store.ObjectInfo, error) {
	n, _ := io.Copy(io.Discard, r)
	m.mu.Lock()
	defer m.mu.Unlock()
	oi := store.ObjectInfo{Bucket: b, Key: k, Size: n, ETag: `"e"`, LastModified: testNow}
	m.objs[k] = oi
	return &oi, nil
}
func (m *memStore) Delete(context.Context, string, string) error { return nil }
func (m *memStore) List(_ context.Context, _ string, o store.ListOptions) (*store.ListResult, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.last = o
	var out store.ListResult
	for k, v := range m.objs {
		if strings.HasPrefix(k, o.Prefix) {
			out.Objects = append(out.Objects, v)
		}
	}
	sort.Slice(out.Objects, func(i, j int) bool { return out.Objects[i].Key < out.Objects[j].Key })
	return &out, nil
}

// testConfig is a config with API keys for alice and bob (bob in group "editors").
func testConfig() Config {
	c := DefaultConfig()
	c.SigningKey.ID = testKPID
	c.Authenticators = []AuthenticatorConfig{
		{Type: AuthAPIKey, Keys: []APIKey{
			{User: "alice", SHA256: HashAPIKey(aliceKey)},
			{User: "bob", SHA256: HashAPIKey(bobKey), Groups: []string{"editors"}},
		}},
		{Type: AuthSigV4, Region: "us-east-1", Credentials: []SigV4Credential{
			{User: "alice", AccessKeyID: "AKIDALICE", SecretAccessKey: "alice-secret-0123456789"},
		}},
	}
	c.Dev = DevConfig{Enabled: true, Users: []string{"alice", "bob"}, SessionKey: "dev-session-key-0123456789"}
	return c
}

type testEnv struct {
	srv   *Server
	store *memStore
	now   time.Time
}

func newTestServer(t testing.TB, mutate func(*Config, *Deps)) *testEnv {
	t.Helper()
	ec, _ := testKeys(t)
	env := &testEnv{store: &memStore{objs: map[string]store.ObjectInfo{}}, now: testNow}
	cfg := testConfig()
	deps := Deps{
		Signer:    staticSource{ec},
		Store:     env.store,
		Bucket:    "media",
		UploadURL: "http://127.0.0.1:9000",
		Upload:    sigv4.Credentials{AccessKeyID: "STOREADMIN", SecretAccessKey: "store-secret-0123456789"},
		Clock:     func() time.Time { return env.now },
	}
	if mutate != nil {
		mutate(&cfg, &deps)
	}
	s, err := New(cfg, deps)
	if err != nil {
		t.Fatal(err)
	}
	env.srv = s
	return env
}

// do sends a request with an optional API key and JSON body.
func (e *testEnv) do(t testing.TB, method, path, apiKey, body string) *httptest.ResponseRecorder {
	t.Helper()
	var r *http.Request
	if body != "" {
		r = httptest.NewRequest(method, "http://127.0.0.1:8081"+path, strings.NewReader(body))
		r.Header.Set("Content-Type", "application/json")
	} else {
		r = httptest.NewRequest(method, "http://127.0.0.1:8081"+path, nil)
	}
	if apiKey != "" {
		r.Header.Set(APIKeyHeader, apiKey)
	}
	w := httptest.NewRecorder()
	e.srv.ServeHTTP(w, r)
	return w
}

// errorCode checks the exact error shape and returns the code.
func errorCode(t testing.TB, w *httptest.ResponseRecorder) string {
	t.Helper()
	if ct := w.Header().Get("Content-Type"); ct != "application/json" {
		t.Fatalf("error Content-Type %q, want application/json", ct)
	}
	var raw map[string]map[string]any
	d := json.NewDecoder(bytes.NewReader(w.Body.Bytes()))
	if err := d.Decode(&raw); err != nil {
		t.Fatalf("error body %q: %v", w.Body.String(), err)
	}
	if len(raw) != 1 || len(raw["error"]) != 2 {
		t.Fatalf("error body %s: want exactly {\"error\":{\"code\",\"message\"}}", w.Body.String())
	}
	code, _ := raw["error"]["code"].(string)
	msg, _ := raw["error"]["message"].(string)
	if code == "" || msg == "" {
		t.Fatalf("error body %s: empty code or message", w.Body.String())
	}
	return code
}

func decodeJSON(t testing.TB, w *httptest.ResponseRecorder, v any) {
	t.Helper()
	if w.Code != http.StatusOK {
		t.Fatalf("status %d, body %s", w.Code, w.Body.String())
	}
	if err := json.Unmarshal(w.Body.Bytes(), v); err != nil {
		t.Fatalf("body %q: %v", w.Body.String(), err)
	}
}

func sha256Hex(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}

func readCloser(s string) io.ReadCloser { return io.NopCloser(strings.NewReader(s)) }

func storePutOptions() store.PutOptions { return store.PutOptions{ContentType: "image/jpeg"} }
