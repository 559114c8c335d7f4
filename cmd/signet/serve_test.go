package main

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// serveInProcess runs `signet serve args…` until the returned stop function is called.
func serveInProcess(t *testing.T, vars map[string]string, args ...string) (stdout *syncBuffer, stop func() (int, string)) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	out, errb := &syncBuffer{}, &syncBuffer{}
	e := &env{stdin: strings.NewReader(""), stdout: out, stderr: errb, getenv: func(k string) string { return vars[k] }}
	done := make(chan int, 1)
	go func() { done <- run(ctx, append([]string{"serve"}, args...), e) }()
	var once sync.Once
	var code int
	stop = func() (int, string) {
		once.Do(func() {
			cancel()
			select {
			case code = <-done:
			case <-time.After(15 * time.Second):
				t.Error("serve did not stop")
			}
		})
		return code, errb.String()
	}
	t.Cleanup(func() { stop() })
	return out, stop
}

func waitFor(t *testing.T, what string, f func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !f() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	var b bytes.Buffer
	b.ReadFrom(resp.Body)
	return resp.StatusCode, b.String()
}

// TestServeEmbedded starts the embedded default on free ports, checks the listeners, the
// banner, the demo page and /healthz, then shuts down cleanly.
func TestServeEmbedded(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "signet-data")
	out, stop := serveInProcess(t, map[string]string{"SIGNET_LOG_FORMAT": "json"}, "--data-dir", data,
		"--edge-addr", "127.0.0.1:0", "--issuer-addr", "127.0.0.1:0", "--store-addr", "127.0.0.1:0", "--admin-addr", "127.0.0.1:0")
	var vars map[string]string
	waitFor(t, "dev.env", func() bool {
		m, err := readDevEnv(filepath.Join(data, "dev.env"))
		vars = m
		return err == nil && m["SIGNET_ADMIN_URL"] != ""
	})
	waitFor(t, "healthz", func() bool { c, _ := get(t, vars["SIGNET_ADMIN_URL"]+"/healthz"); return c == 200 })
	banner := out.String()
	for _, want := range []string{vars["SIGNET_EDGE_URL"], vars["SIGNET_ISSUER_URL"], vars["SIGNET_STORE_URL"], vars["SIGNET_ADMIN_URL"], vars["SIGNET_KEY_PAIR_ID"], vars["SIGNET_RSA_KEY_PAIR_ID"], "signet sign"} {
		if !strings.Contains(banner, want) {
			t.Errorf("banner lacks %q:\n%s", want, banner)
		}
	}
	if c, body := get(t, vars["SIGNET_ISSUER_URL"]+"/"); c != 200 || !strings.Contains(body, "Sign in as alice") {
		t.Errorf("demo page: %d", c)
	}
	if c, body := get(t, vars["SIGNET_ISSUER_URL"]+"/demo/app.js"); c != 200 || !strings.Contains(body, "/v1/dev/login") {
		t.Errorf("demo app.js: %d", c)
	}
	if c, _ := get(t, vars["SIGNET_ISSUER_URL"]+"/healthz"); c != 200 {
		t.Errorf("issuer healthz: %d", c)
	}
	if c, body := get(t, vars["SIGNET_EDGE_URL"]+"/photos/a.png"); c != 403 || !strings.Contains(body, "MissingKey") {
		t.Errorf("unsigned edge request: %d %s", c, body)
	}
	if c, body := get(t, vars["SIGNET_ADMIN_URL"]+"/metrics"); c != 200 || !strings.Contains(body, "go_goroutines") {
		t.Errorf("metrics: %d", c)
	}
	if c, _ := get(t, vars["SIGNET_EDGE_URL"]+"/metrics"); c != 403 {
		t.Errorf("/metrics on the edge: %d, want 403 (every edge path is an object key)", c)
	}
	code, logs := stop()
	if code != 0 {
		t.Errorf("serve exit %d:\n%s", code, logs)
	}
	if !strings.Contains(logs, `"msg":"stopped"`) {
		t.Errorf("no clean stop in logs:\n%s", logs)
	}
}

// TestServeConfigSubset runs only an edge and an admin listener from a configuration file.
func TestServeConfigSubset(t *testing.T) {
	dir := t.TempDir()
	pub, _ := os.ReadFile(filepath.Join("testdata", "keys", "ecdsa_public.pem"))
	os.MkdirAll(filepath.Join(dir, "keys"), 0o755)
	os.WriteFile(filepath.Join(dir, "keys", "ec.pem"), pub, 0o644)
	cfg := `
data_dir: ` + dir + `
log: {level: warn, format: json}
admin: {listen: 127.0.0.1:0, credentials: [{access_key_id: ADMIN, secret_access_key: adminsecret}]}
keys: [{id: KEC, public: file://keys/ec.pem}]
key_groups: {default: [KEC]}
edge:
  listen: 127.0.0.1:0
  origins: {web: {type: http, url: "http://127.0.0.1:1"}}
  behaviors: [{path: "*", origin: web, key_groups: [default]}]
`
	path := filepath.Join(dir, "signet.yaml")
	os.WriteFile(path, []byte(cfg), 0o644)
	out, stop := serveInProcess(t, map[string]string{"SIGNET_CONFIG": path})
	waitFor(t, "addresses", func() bool { return strings.Count(out.String(), "http://") == 2 })
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	var edgeURL, adminURL string
	for _, l := range lines {
		f := strings.Fields(l)
		switch f[0] {
		case "edge:":
			edgeURL = f[1]
		case "admin:":
			adminURL = f[1]
		}
	}
	if edgeURL == "" || adminURL == "" || strings.Contains(out.String(), "issuer") {
		t.Fatalf("stdout:\n%s", out)
	}
	waitFor(t, "healthz", func() bool { c, _ := get(t, adminURL+"/healthz"); return c == 200 })
	if c, _ := get(t, edgeURL+"/x"); c != 403 {
		t.Errorf("edge unsigned: %d", c)
	}
	if code, logs := stop(); code != 0 {
		t.Errorf("exit %d: %s", code, logs)
	}
}

// TestServeConfigErrors: every problem with its path, exit 1.
func TestServeConfigErrors(t *testing.T) {
	path := filepath.Join(t.TempDir(), "signet.yaml")
	os.WriteFile(path, []byte("edge:\n  listn: x\nbogus: 1\n"), 0o644)
	code, _, stderr := runCLI(t, nil, "serve", "--config", path)
	if code != 1 {
		t.Errorf("exit %d", code)
	}
	for _, want := range []string{"signet: error: config: edge.listn: unknown key", "signet: error: config: bogus: unknown key", "signet: hint: "} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr)
		}
	}
	code, _, stderr = runCLI(t, map[string]string{"SIGNET_CONFIG": path + ".missing"}, "serve")
	if code != 1 || !strings.Contains(stderr, "signet: error: config: open ") {
		t.Errorf("missing config: exit %d %s", code, stderr)
	}
}

func readDevEnv(path string) (map[string]string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	m := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		k, v, _ := strings.Cut(strings.TrimPrefix(line, "export "), "=")
		m[k] = strings.Trim(v, "'")
	}
	return m, nil
}

// TestServeEdgeTLS: with edge.tls set, serve terminates TLS on the edge listener and prints an
// https URL; the edge still answers an unsigned request with CloudFront's 403.
func TestServeEdgeTLS(t *testing.T) {
	dir := t.TempDir()
	pub, _ := os.ReadFile(filepath.Join("testdata", "keys", "ecdsa_public.pem"))
	os.MkdirAll(filepath.Join(dir, "keys"), 0o755)
	os.WriteFile(filepath.Join(dir, "keys", "ec.pem"), pub, 0o644)
	certFile, keyFile := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	pool := writeSelfSigned(t, certFile, keyFile)
	cfg := `
data_dir: ` + dir + `
log: {level: warn, format: json}
keys: [{id: KEC, public: file://keys/ec.pem}]
key_groups: {default: [KEC]}
edge:
  listen: 127.0.0.1:0
  tls: {cert_file: ` + certFile + `, key_file: ` + keyFile + `}
  origins: {web: {type: http, url: "http://127.0.0.1:1"}}
  behaviors: [{path: "*", origin: web, key_groups: [default]}]
`
	path := filepath.Join(dir, "signet.yaml")
	os.WriteFile(path, []byte(cfg), 0o644)
	out, stop := serveInProcess(t, map[string]string{"SIGNET_CONFIG": path})
	waitFor(t, "address", func() bool { return strings.Contains(out.String(), "https://") })
	f := strings.Fields(strings.TrimSpace(out.String()))
	if len(f) != 2 || f[0] != "edge:" {
		t.Fatalf("stdout: %q", out)
	}
	c := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}, Timeout: 10 * time.Second}
	resp, err := c.Get(f[1] + "/x")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 403 || resp.TLS == nil || !strings.Contains(string(body), "MissingKey") {
		t.Errorf("edge over TLS: %d tls=%v %s", resp.StatusCode, resp.TLS != nil, body)
	}
	if code, logs := stop(); code != 0 {
		t.Errorf("exit %d: %s", code, logs)
	}
}

// writeSelfSigned writes a throw-away certificate for 127.0.0.1 and returns a pool trusting it.
func writeSelfSigned(t *testing.T, certFile, keyFile string) *x509.CertPool {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "signet test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &k.PublicKey, k)
	if err != nil {
		t.Fatal(err)
	}
	kder, _ := x509.MarshalPKCS8PrivateKey(k)
	os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644)
	os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kder}), 0o600)
	cert, _ := x509.ParseCertificate(der)
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return pool
}
