package cfsign

import (
	"crypto"
	"net/netip"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/signet-project/signet/keys"
)

// Fixture keys (generated once with openssl; Go 1.26 ignores the rand argument of GenerateKey).
const (
	rsaKeyID = "K2JCJMDEHXQW5F"
	ecKeyID  = "K3ECDSAEXAMPLE"
)

func loadPriv(t testing.TB, name string) crypto.Signer {
	t.Helper()
	k, err := keys.ReadPrivateKeyFile(filepath.Join("testdata", "keys", name))
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func loadPub(t testing.TB, name string) crypto.PublicKey {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", "keys", name))
	if err != nil {
		t.Fatal(err)
	}
	k, err := keys.ParsePublicKeyPEM(data)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// testVerifier trusts the RSA key (rsaKeyID) and the ECDSA key (ecKeyID) with both algorithms.
func testVerifier(t testing.TB, opts *VerifierOptions) *Verifier {
	t.Helper()
	v, err := NewVerifier([]KeyGroup{{Name: "default", Keys: []TrustedKey{
		{ID: rsaKeyID, PublicKey: loadPub(t, "rsa_public.pem"), Algorithms: []HashAlgorithm{SHA1, SHA256}},
		{ID: ecKeyID, PublicKey: loadPub(t, "ecdsa_public.pem"), Algorithms: []HashAlgorithm{SHA1, SHA256}},
	}}}, opts)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

var (
	t0       = time.Unix(1767200000, 0)
	tExpires = time.Unix(1767290400, 0)
	clientIP = netip.MustParseAddr("192.0.2.10")
)
