//go:build integration

package issuer

import (
	"bytes"
	"crypto"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/signet-project/signet/cfsign"
	"github.com/signet-project/signet/edge"
	"github.com/signet-project/signet/internal/testpeer"
	"github.com/signet-project/signet/sigv4"
	"github.com/signet-project/signet/store"
	"github.com/signet-project/signet/store/s3api"
)

// stack is the whole path in one process: disk store behind s3api, the edge with an S3
// origin on it trusting the issuer's key, and the issuer signing for the edge's URL.
type stack struct {
	issuer, edge, store *httptest.Server
	disk                *store.Disk
}

func newStack(t *testing.T, key crypto.Signer) *stack {
	t.Helper()
	disk, err := store.OpenDisk(t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { disk.Close() })
	if err := disk.CreateBucket(t.Context(), "media"); err != nil {
		t.Fatal(err)
	}
	const akid, secret = "STOREADMIN", "store-secret-0123456789"
	h, err := s3api.NewHandler(disk, s3api.HandlerConfig{Config: s3api.Config{
		Credentials: []s3api.Credential{{AccessKeyID: akid, SecretAccessKey: secret}}, Region: "us-east-1"}})
	if err != nil {
		t.Fatal(err)
	}
	st := &stack{disk: disk, store: httptest.NewServer(h)}
	t.Cleanup(st.store.Close)

	ec := edge.DefaultConfig()
	ec.Origins = map[string]edge.OriginConfig{"media": {Type: edge.OriginS3, Endpoint: st.store.URL, Bucket: "media",
		Region: "us-east-1", Credentials: edge.Credentials{AccessKeyID: akid, SecretAccessKey: secret}}}
	ec.Behaviors = []edge.BehaviorConfig{{Path: "*", Origin: "media", KeyGroups: []string{"default"}}}
	e, err := edge.New(ec, edge.Keys{Groups: map[string][]cfsign.TrustedKey{"default": {
		{ID: testKPID, PublicKey: key.Public(), Algorithms: []cfsign.HashAlgorithm{cfsign.SHA1, cfsign.SHA256}}}}}, edge.Options{})
	if err != nil {
		t.Fatal(err)
	}
	st.edge = httptest.NewServer(e)
	t.Cleanup(st.edge.Close)

	env := newTestServer(t, func(c *Config, d *Deps) {
		c.PublicBaseURL = st.edge.URL
		d.Signer = staticSource{key}
		d.Store, d.Bucket, d.UploadURL = disk, "media", st.store.URL
		d.Upload = sigv4.Credentials{AccessKeyID: akid, SecretAccessKey: secret}
		d.Clock = time.Now
	})
	st.issuer = httptest.NewServer(env.srv)
	t.Cleanup(st.issuer.Close)
	return st
}

func (st *stack) call(t *testing.T, path, apiKey, body string) (int, []byte, http.Header) {
	t.Helper()
	req, _ := http.NewRequest("POST", st.issuer.URL+path, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(APIKeyHeader, apiKey)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b, resp.Header
}

func get(t *testing.T, url, cookie string) (int, []byte) {
	t.Helper()
	req, _ := http.NewRequest("GET", url, nil)
	if cookie != "" {
		req.Header.Set("Cookie", cookie)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

// TestEndToEnd: two users; each uploads with curl -T through a presigned PUT to the store,
// gets signed URLs and cookies for their own files that open through the edge, and is refused
// the other's.
func TestEndToEnd(t *testing.T) {
	curl := testpeer.Path(t, "curl")
	ec, rk := testKeys(t)
	for name, key := range map[string]crypto.Signer{"ecdsa": ec, "rsa": rk} {
		t.Run(name, func(t *testing.T) {
			st := newStack(t, key)
			owned := map[string]string{}
			for user, apiKey := range map[string]string{"alice": aliceKey, "bob": bobKey} {
				data := bytes.Repeat([]byte(user), 500)
				file := filepath.Join(t.TempDir(), user+".png")
				os.WriteFile(file, data, 0o600)
				code, b, _ := st.call(t, "/v1/uploads", apiKey, `{"content_type":"image/png","size":`+itoa(len(data))+`}`)
				var up struct{ Key, URL string }
				if code != 200 || json.Unmarshal(b, &up) != nil {
					t.Fatalf("%s uploads: %d %s", user, code, b)
				}
				out, err := exec.Command(curl, "-sS", "-o", "/dev/null", "-w", "%{http_code}", "-T", file, "-H", "Content-Type: image/png", up.URL).CombinedOutput()
				if err != nil || string(out) != "200" {
					t.Fatalf("%s curl -T: %s %v", user, out, err)
				}
				if !strings.HasPrefix(up.Key, "users/"+user+"/") {
					t.Fatalf("key %s outside %s's prefix", up.Key, user)
				}
				if _, err := st.disk.Head(t.Context(), "media", up.Key); err != nil {
					t.Fatalf("object %s not in the store: %v", up.Key, err)
				}
				owned[user] = up.Key
			}

			// Alice's URL opens her file through the edge.
			code, b, _ := st.call(t, "/v1/urls", aliceKey, `{"keys":["`+owned["alice"]+`"]}`)
			var res urlsResponse
			if code != 200 || json.Unmarshal(b, &res) != nil {
				t.Fatalf("urls: %d %s", code, b)
			}
			if code, body := get(t, res.URLs[0].URL, ""); code != 200 || !bytes.HasPrefix(body, []byte("alicealice")) {
				t.Fatalf("edge GET: %d %q", code, body)
			}
			// Her URL with bob's path is refused by the edge; asking the issuer is a 403.
			forged := strings.Replace(res.URLs[0].URL, owned["alice"], owned["bob"], 1)
			if code, _ := get(t, forged, ""); code != 403 {
				t.Errorf("forged URL: %d, want 403", code)
			}
			if code, b, _ := st.call(t, "/v1/urls", aliceKey, `{"keys":["`+owned["bob"]+`"]}`); code != 403 {
				t.Errorf("alice asking for bob's file: %d %s, want 403", code, b)
			}
			// Unsigned GET: 403 from the edge.
			if code, _ := get(t, st.edge.URL+"/"+owned["alice"], ""); code != 403 {
				t.Errorf("unsigned GET: %d", code)
			}

			// Cookies for alice's prefix open her file, not bob's.
			code, b, hdr := st.call(t, "/v1/cookies", aliceKey, `{"prefix":"users/alice/"}`)
			if code != 200 {
				t.Fatalf("cookies: %d %s", code, b)
			}
			var parts []string
			for _, c := range (&http.Response{Header: hdr}).Cookies() {
				parts = append(parts, c.Name+"="+c.Value)
			}
			cookie := strings.Join(parts, "; ")
			if code, body := get(t, st.edge.URL+"/"+owned["alice"], cookie); code != 200 || !bytes.HasPrefix(body, []byte("alice")) {
				t.Errorf("cookie GET own: %d", code)
			}
			if code, _ := get(t, st.edge.URL+"/"+owned["bob"], cookie); code != 403 {
				t.Errorf("cookie GET bob's: %d, want 403", code)
			}
		})
	}
}

func itoa(n int) string {
	b, _ := json.Marshal(n)
	return string(b)
}
