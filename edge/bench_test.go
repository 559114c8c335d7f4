package edge

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/signet-project/signet/cfsign"
)

type discardWriter struct {
	h      http.Header
	status int
	n      int
}

func (w *discardWriter) Header() http.Header         { return w.h }
func (w *discardWriter) WriteHeader(code int)        { w.status = code }
func (w *discardWriter) Write(p []byte) (int, error) { w.n += len(p); return len(p), nil }

// benchEdge serves a 4 KiB cached object for a canned-policy ECDSA-signed URL, in process.
func benchEdge(b *testing.B, sigCache int) {
	body := make([]byte, 4096)
	rand.Read(body)
	origin := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=86400")
		w.Header().Set("ETag", `"bench"`)
		w.Write(body)
	}))
	defer origin.Close()
	priv, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	const kid = "KBENCH0000001"
	keys := Keys{Groups: map[string][]cfsign.TrustedKey{"g": {{ID: kid, PublicKey: &priv.PublicKey,
		Algorithms: []cfsign.HashAlgorithm{cfsign.SHA1, cfsign.SHA256}}}}}
	cfg := DefaultConfig()
	cfg.DisableAccessLog = true
	cfg.Origins = map[string]OriginConfig{"o": {Type: OriginHTTP, URL: origin.URL}}
	cfg.Behaviors = []BehaviorConfig{{Path: "*", Origin: "o", KeyGroups: []string{"g"}}}
	s, err := New(cfg, keys, Options{SignatureCacheSize: sigCache})
	if err != nil {
		b.Fatal(err)
	}
	signer, err := cfsign.NewSigner(kid, priv, nil)
	if err != nil {
		b.Fatal(err)
	}
	signed, err := signer.SignURL("http://edge.test/obj", cfsign.SignParams{Expires: time.Now().Add(time.Hour)})
	if err != nil {
		b.Fatal(err)
	}
	req := httptest.NewRequest("GET", strings.TrimPrefix(signed, "http://edge.test"), nil)
	req.Host = "edge.test"
	req.RemoteAddr = "127.0.0.1:40000"
	w := &discardWriter{h: http.Header{}}
	s.ServeHTTP(w, req)
	clear(w.h)
	s.ServeHTTP(w, req)
	if w.status != 200 || w.h.Get("X-Cache") != cacheHit {
		b.Fatalf("priming: status %d, X-Cache %q", w.status, w.h.Get("X-Cache"))
	}
	b.ReportAllocs()
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		clear(w.h)
		w.status = 0
		s.ServeHTTP(w, req)
	}
	if w.status != 200 {
		b.Fatalf("status %d", w.status)
	}
}

// BenchmarkEdgeHit: signed URL, object cached, signature already verified (the common case).
func BenchmarkEdgeHit(b *testing.B) { benchEdge(b, 0) }

// BenchmarkEdgeHitCold: the same with the verified-signature cache off (ECDSA verify each time).
func BenchmarkEdgeHitCold(b *testing.B) { benchEdge(b, -1) }

// BenchmarkRawECDSAVerify is the crypto baseline for BenchmarkEdgeHitCold.
func BenchmarkRawECDSAVerify(b *testing.B) {
	priv, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	d := sha256.Sum256([]byte(`{"Statement":[{"Resource":"http://edge.test/obj","Condition":{"DateLessThan":{"AWS:EpochTime":1800000000}}}]}`))
	sig, _ := ecdsa.SignASN1(rand.Reader, priv, d[:])
	for b.Loop() {
		if !ecdsa.VerifyASN1(&priv.PublicKey, d[:], sig) {
			b.Fatal("verify")
		}
	}
}
