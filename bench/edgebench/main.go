// Command edgebench runs signet's edge for the benchmark (bench/edge.sh, PROTOCOL.md): one
// behaviour in front of a loopback HTTP origin, one key group with a fresh ECDSA P-256 (or
// RSA-2048) key, access log off, metrics on. It writes a canned-policy signed URL for the
// object to -url-file and serves until killed.
package main

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"flag"
	"log"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/signet-project/signet/cfsign"
	"github.com/signet-project/signet/edge"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:18300", "viewer listen address; loopback only")
	metricsAddr := flag.String("metrics", "", "admin listen address for /metrics (optional)")
	origin := flag.String("origin", "http://127.0.0.1:18200", "benchmark origin base URL")
	path := flag.String("path", "/obj", "object path to sign")
	urlFile := flag.String("url-file", "", "write the signed URL here")
	bigURLFile := flag.String("big-url-file", "", "also write a signed URL for /big (the streaming check) here")
	keyType := flag.String("key", "ecdsa", "ecdsa or rsa")
	cold := flag.Bool("cold", false, "turn the verified-signature cache off")
	profile := flag.Bool("pprof", false, "also serve /debug/pprof/ on the -metrics listener (for profiling, never in measured runs)")
	flag.Parse()
	host, _, err := net.SplitHostPort(*addr)
	if err != nil || !net.ParseIP(host).IsLoopback() {
		log.Fatalf("edgebench: %q is not a loopback address", *addr)
	}

	var priv crypto.Signer
	hash := cfsign.SHA256
	switch *keyType {
	case "ecdsa":
		priv, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	case "rsa":
		priv, err = rsa.GenerateKey(rand.Reader, 2048)
		hash = cfsign.SHA1
	default:
		log.Fatalf("edgebench: -key %q", *keyType)
	}
	if err != nil {
		log.Fatal(err)
	}
	const kid = "KBENCHKEY0000001"
	keys := edge.Keys{Groups: map[string][]cfsign.TrustedKey{"bench": {{
		ID: kid, PublicKey: priv.Public(), Algorithms: []cfsign.HashAlgorithm{cfsign.SHA1, cfsign.SHA256},
	}}}}
	cfg := edge.DefaultConfig()
	cfg.Listen = *addr
	cfg.DisableAccessLog = true
	cfg.Origins = map[string]edge.OriginConfig{"bench": {Type: edge.OriginHTTP, URL: *origin}}
	cfg.Behaviors = []edge.BehaviorConfig{{Path: "*", Origin: "bench", KeyGroups: []string{"bench"}}}
	reg := prometheus.NewRegistry()
	opts := edge.Options{Registry: reg}
	if *cold {
		opts.SignatureCacheSize = -1
	}
	s, err := edge.New(cfg, keys, opts)
	if err != nil {
		log.Fatal(err)
	}
	signer, err := cfsign.NewSigner(kid, priv, &cfsign.SignerOptions{Hash: hash})
	if err != nil {
		log.Fatal(err)
	}
	u, err := signer.SignURL("http://"+*addr+*path, cfsign.SignParams{Expires: time.Now().Add(24 * time.Hour)})
	if err != nil {
		log.Fatal(err)
	}
	if *urlFile != "" {
		if err := os.WriteFile(*urlFile, []byte(u+"\n"), 0o600); err != nil {
			log.Fatal(err)
		}
	}
	if *bigURLFile != "" {
		bu, err := signer.SignURL("http://"+*addr+"/big", cfsign.SignParams{Expires: time.Now().Add(24 * time.Hour)})
		if err != nil {
			log.Fatal(err)
		}
		if err := os.WriteFile(*bigURLFile, []byte(bu+"\n"), 0o600); err != nil {
			log.Fatal(err)
		}
	}
	if *metricsAddr != "" {
		mux := http.NewServeMux()
		mux.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
		if *profile {
			mux.HandleFunc("/debug/pprof/", pprof.Index)
			mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
		}
		go func() { log.Println(http.ListenAndServe(*metricsAddr, mux)) }()
	}
	log.Fatal(s.ListenAndServe(context.Background()))
}
