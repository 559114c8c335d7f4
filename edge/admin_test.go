package edge

import (
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
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/signet-project/signet/sigv4"
)

const adminKey, adminSecret = "AKIDADMINTEST01", "admin-test-secret-0123456789"

func adminDo(t *testing.T, h http.Handler, method, path, body, secret string) *httptest.ResponseRecorder {
	t.Helper()
	signer, err := sigv4.NewSigner(sigv4.SignerConfig{Region: "us-east-1", Service: "cloudfront",
		Credentials: sigv4.Credentials{AccessKeyID: adminKey, SecretAccessKey: secret}})
	if err != nil {
		t.Fatal(err)
	}
	req := httptest.NewRequest(method, "http://admin.test"+path, strings.NewReader(body))
	req.RequestURI = ""
	hash := ""
	if body != "" {
		hash = sha256hex([]byte(body))
	}
	if err := signer.Sign(req, hash, time.Now()); err != nil {
		t.Fatal(err)
	}
	req.Body = io.NopCloser(strings.NewReader(body))
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	return w
}

func TestAdminInvalidationAPI(t *testing.T) {
	o := newObjectOrigin(t)
	o.put("photos/a.jpg", []byte("a1"))
	s, ets := testEdge(t, o, nil, Keys{}, Options{AdminCredentials: sigv4.StaticCredentials{
		adminKey: {AccessKeyID: adminKey, SecretAccessKey: adminSecret}}})
	get(t, ets.URL+"/photos/a.jpg")
	o.put("photos/a.jpg", []byte("a2"))
	batch := `<?xml version="1.0" encoding="UTF-8"?><InvalidationBatch xmlns="http://cloudfront.amazonaws.com/doc/2020-05-31/"><Paths><Quantity>1</Quantity><Items><Path>/photos/*</Path></Items></Paths><CallerReference>ref-1</CallerReference></InvalidationBatch>`
	h := s.AdminHandler()
	if w := adminDo(t, h, "POST", "/2020-05-31/distribution/default/invalidation", batch, "wrong-secret-0123456789"); w.Code != 403 {
		t.Errorf("wrong secret: %d %s", w.Code, w.Body)
	}
	w := adminDo(t, h, "POST", "/2020-05-31/distribution/default/invalidation", batch, adminSecret)
	if w.Code != 201 || !strings.Contains(w.Body.String(), "<Status>Completed</Status>") || w.Header().Get("Location") == "" {
		t.Fatalf("create: %d %s", w.Code, w.Body)
	}
	if _, b := get(t, ets.URL+"/photos/a.jpg"); string(b) != "a2" {
		t.Errorf("after invalidation: %q", b)
	}
	loc := w.Header().Get("Location")
	if w := adminDo(t, h, "GET", loc, "", adminSecret); w.Code != 200 || !strings.Contains(w.Body.String(), "/photos/*") {
		t.Errorf("get: %d %s", w.Code, w.Body)
	}
	// Same CallerReference, same paths: the same invalidation; other paths: conflict.
	if w2 := adminDo(t, h, "POST", "/2020-05-31/distribution/default/invalidation", batch, adminSecret); w2.Code != 201 || w2.Body.String() != w.Body.String() {
		t.Errorf("idempotent create: %d", w2.Code)
	}
	other := strings.Replace(batch, "/photos/*", "/x", 1)
	if w := adminDo(t, h, "POST", "/2020-05-31/distribution/default/invalidation", other, adminSecret); w.Code != 409 {
		t.Errorf("conflicting CallerReference: %d", w.Code)
	}
	if w := adminDo(t, h, "GET", "/2020-05-31/distribution/other/invalidation", "", adminSecret); w.Code != 404 || !strings.Contains(w.Body.String(), "NoSuchDistribution") {
		t.Errorf("unknown distribution: %d %s", w.Code, w.Body)
	}
	if w := adminDo(t, h, "GET", "/2020-05-31/distribution/default/invalidation/INOPE", "", adminSecret); w.Code != 404 {
		t.Errorf("unknown invalidation: %d", w.Code)
	}
	if w := adminDo(t, h, "GET", "/2020-05-31/distribution/default/invalidation", "", adminSecret); w.Code != 200 || !strings.Contains(w.Body.String(), "<InvalidationList") {
		t.Errorf("list: %d %s", w.Code, w.Body)
	}
	noCreds, _ := testEdge(t, o, nil, Keys{}, Options{})
	if w := adminDo(t, noCreds.AdminHandler(), "GET", "/2020-05-31/distribution/default/invalidation", "", adminSecret); w.Code != 403 {
		t.Errorf("no admin credentials configured: %d", w.Code)
	}
}

func TestServeTLSAndShutdown(t *testing.T) {
	dir := t.TempDir()
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "127.0.0.1"},
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	der, _ := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	kd, _ := x509.MarshalPKCS8PrivateKey(key)
	certFile, keyFile := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600)
	os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kd}), 0o600)

	o := newObjectOrigin(t)
	o.put("t.txt", []byte("tls"))
	s, _ := testEdge(t, o, func(c *Config) { c.TLS = TLSConfig{CertFile: certFile, KeyFile: keyFile} }, Keys{}, Options{})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx, ln) }()
	pool := x509.NewCertPool()
	pool.AddCert(func() *x509.Certificate { c, _ := x509.ParseCertificate(der); return c }())
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}, Timeout: 5 * time.Second}
	resp, err := client.Get("https://" + ln.Addr().String() + "/t.txt")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || string(b) != "tls" {
		t.Errorf("TLS: %d %q", resp.StatusCode, b)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Serve after shutdown: %v", err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("Serve did not return after ctx ended")
	}
}
