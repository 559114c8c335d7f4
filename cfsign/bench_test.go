package cfsign_test

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	awssign "github.com/aws/aws-sdk-go-v2/feature/cloudfront/sign"

	"github.com/signet-project/signet/cfsign"
	"github.com/signet-project/signet/keys"
)

// Benchmarks carry their baselines (STYLE.md rule 16): the raw crypto/rsa and crypto/ecdsa calls
// over the same policy bytes, and aws-sdk-go-v2's URL signer, in one run.

const benchURL = "https://d111111abcdef8.cloudfront.net/images/image.jpg?color=red&size=medium"

var benchExpires = time.Unix(1767290400, 0)

type benchAlg struct {
	name, id, priv, pub string
	hash                cfsign.HashAlgorithm
}

var benchAlgs = []benchAlg{
	{"RSA-SHA1", "K2JCJMDEHXQW5F", "rsa_private.pem", "rsa_public.pem", cfsign.SHA1},
	{"RSA-SHA256", "K2JCJMDEHXQW5F", "rsa_private.pem", "rsa_public.pem", cfsign.SHA256},
	{"ECDSA-SHA256", "K3ECDSAEXAMPLE", "ecdsa_private.pem", "ecdsa_public.pem", cfsign.SHA256},
}

func benchPriv(b testing.TB, name string) crypto.Signer {
	k, err := keys.ReadPrivateKeyFile("testdata/keys/" + name)
	if err != nil {
		b.Fatal(err)
	}
	return k
}

func benchPub(b testing.TB, name string) crypto.PublicKey {
	data, err := os.ReadFile("testdata/keys/" + name)
	if err != nil {
		b.Fatal(err)
	}
	k, err := keys.ParsePublicKeyPEM(data)
	if err != nil {
		b.Fatal(err)
	}
	return k
}

func benchVerifier(b testing.TB, a benchAlg, cacheSize int) *cfsign.Verifier {
	v, err := cfsign.NewVerifier([]cfsign.KeyGroup{{Name: "default", Keys: []cfsign.TrustedKey{
		{ID: a.id, PublicKey: benchPub(b, a.pub), Algorithms: []cfsign.HashAlgorithm{cfsign.SHA1, cfsign.SHA256}},
	}}}, &cfsign.VerifierOptions{CacheSize: cacheSize})
	if err != nil {
		b.Fatal(err)
	}
	return v
}

func digest(h cfsign.HashAlgorithm, msg []byte) ([]byte, crypto.Hash) {
	if h == cfsign.SHA1 {
		d := sha1.Sum(msg)
		return d[:], crypto.SHA1
	}
	d := sha256.Sum256(msg)
	return d[:], crypto.SHA256
}

func BenchmarkSign(b *testing.B) {
	for _, a := range benchAlgs {
		b.Run(a.name, func(b *testing.B) {
			s, err := cfsign.NewSigner(a.id, benchPriv(b, a.priv), &cfsign.SignerOptions{Hash: a.hash})
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			for b.Loop() {
				if _, err := s.SignURL(benchURL, cfsign.SignParams{Expires: benchExpires}); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(a.name+"/raw-crypto", func(b *testing.B) {
			key := benchPriv(b, a.priv)
			policy := cfsign.CannedPolicy(benchURL, benchExpires.Unix())
			b.ReportAllocs()
			for b.Loop() {
				d, h := digest(a.hash, policy)
				var err error
				switch k := key.(type) {
				case *rsa.PrivateKey:
					_, err = rsa.SignPKCS1v15(nil, k, h, d)
				case *ecdsa.PrivateKey:
					_, err = ecdsa.SignASN1(rand.Reader, k, d)
				}
				if err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	b.Run("RSA-SHA1/aws-sdk-go-v2", func(b *testing.B) {
		s := awssign.NewURLSigner("K2JCJMDEHXQW5F", benchPriv(b, "rsa_private.pem"))
		b.ReportAllocs()
		for b.Loop() {
			if _, err := s.Sign(benchURL, benchExpires); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func BenchmarkSignCookies(b *testing.B) {
	s, err := cfsign.NewSigner("K3ECDSAEXAMPLE", benchPriv(b, "ecdsa_private.pem"), nil)
	if err != nil {
		b.Fatal(err)
	}
	p := cfsign.SignParams{Expires: benchExpires, Resource: "https://d111111abcdef8.cloudfront.net/images/*"}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.SignCookies(benchURL, p); err != nil {
			b.Fatal(err)
		}
	}
}

func viewerOf(b *testing.B, u string) *cfsign.Viewer {
	vw, err := cfsign.ViewerFromURL(u, netip.MustParseAddr("192.0.2.10"), time.Unix(1767250000, 0), "")
	if err != nil {
		b.Fatal(err)
	}
	return vw
}

func BenchmarkVerify(b *testing.B) {
	for _, a := range benchAlgs {
		s, err := cfsign.NewSigner(a.id, benchPriv(b, a.priv), &cfsign.SignerOptions{Hash: a.hash})
		if err != nil {
			b.Fatal(err)
		}
		u, err := s.SignURL(benchURL, cfsign.SignParams{Expires: benchExpires})
		if err != nil {
			b.Fatal(err)
		}
		b.Run(a.name, func(b *testing.B) {
			v := benchVerifier(b, a, -1)
			vw := viewerOf(b, u)
			b.ReportAllocs()
			for b.Loop() {
				if _, err := v.Verify(vw); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(a.name+"/raw-crypto", func(b *testing.B) {
			pub := benchPub(b, a.pub)
			policy := cfsign.CannedPolicy(benchURL, benchExpires.Unix())
			d, h := digest(a.hash, policy)
			sig, err := benchPriv(b, a.priv).Sign(rand.Reader, d, h)
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			for b.Loop() {
				d, h := digest(a.hash, policy)
				switch k := pub.(type) {
				case *rsa.PublicKey:
					err = rsa.VerifyPKCS1v15(k, h, d, sig)
				case *ecdsa.PublicKey:
					if !ecdsa.VerifyASN1(k, d, sig) {
						b.Fatal("bad")
					}
				}
				if err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	b.Run("ECDSA-SHA256/custom-cookie", func(b *testing.B) {
		v, vw := wildcardCookieViewer(b, -1)
		b.ReportAllocs()
		for b.Loop() {
			if _, err := v.Verify(vw); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkVerifyCached is the edge's hot path: a repeat of a verified signature.
func BenchmarkVerifyCached(b *testing.B) {
	for _, a := range benchAlgs {
		b.Run(a.name, func(b *testing.B) {
			s, _ := cfsign.NewSigner(a.id, benchPriv(b, a.priv), &cfsign.SignerOptions{Hash: a.hash})
			u, _ := s.SignURL(benchURL, cfsign.SignParams{Expires: benchExpires})
			v := benchVerifier(b, a, 0)
			vw := viewerOf(b, u)
			if _, err := v.Verify(vw); err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			for b.Loop() {
				g, err := v.Verify(vw)
				if err != nil || !g.Cached {
					b.Fatal(err)
				}
			}
		})
	}
	b.Run("ECDSA-SHA256/custom-cookie", func(b *testing.B) {
		v, vw := wildcardCookieViewer(b, 0)
		if _, err := v.Verify(vw); err != nil {
			b.Fatal(err)
		}
		b.ReportAllocs()
		for b.Loop() {
			g, err := v.Verify(vw)
			if err != nil || !g.Cached {
				b.Fatal(err)
			}
		}
	})
	// A new path under the same wildcard cookies every time: the grant memo misses (a first
	// sight is not remembered), the verified-signature cache hits.
	b.Run("ECDSA-SHA256/custom-cookie-new-path", func(b *testing.B) {
		v, vw := wildcardCookieViewer(b, 0)
		if _, err := v.Verify(vw); err != nil {
			b.Fatal(err)
		}
		paths := make([]string, 1<<16)
		for i := range paths {
			paths[i] = "/images/" + strconv.Itoa(i) + ".jpg"
		}
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			vw.RequestURI = paths[i%len(paths)]
			i++
			g, err := v.Verify(vw)
			if err != nil || !g.Cached {
				b.Fatal(err)
			}
		}
	})
}

// wildcardCookieViewer: an ECDSA verifier with the given cache size and a request for benchURL
// carrying custom-policy cookies for images/*.
func wildcardCookieViewer(b *testing.B, cacheSize int) (*cfsign.Verifier, *cfsign.Viewer) {
	a := benchAlgs[2]
	s, _ := cfsign.NewSigner(a.id, benchPriv(b, a.priv), nil)
	cs, err := s.SignCookies("", cfsign.SignParams{Expires: benchExpires, Resource: "https://d111111abcdef8.cloudfront.net/images/*"})
	if err != nil {
		b.Fatal(err)
	}
	var parts []string
	for _, c := range cs {
		parts = append(parts, c.Name+"="+c.Value)
	}
	vw := viewerOf(b, benchURL)
	vw.Cookie = strings.Join(parts, "; ")
	return benchVerifier(b, a, cacheSize), vw
}

func BenchmarkParsePolicy(b *testing.B) {
	p := []byte(`{"Statement":[{"Resource":"https://d111111abcdef8.cloudfront.net/training/*","Condition":{"DateLessThan":{"AWS:EpochTime":1767290400},"IpAddress":{"AWS:SourceIp":"192.0.2.0/24"},"DateGreaterThan":{"AWS:EpochTime":1767200000}}}]}`)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := cfsign.ParsePolicy(p); err != nil {
			b.Fatal(err)
		}
	}
}
