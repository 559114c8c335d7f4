package cfsign_test

import (
	"fmt"
	"log"
	"net/netip"
	"time"

	"github.com/signet-project/signet/cfsign"
	"github.com/signet-project/signet/keys"
)

// Sign a URL with a canned policy and an RSA key: the result is byte-identical to
// `aws cloudfront sign` for the same inputs.
func ExampleSigner_SignURL() {
	key, err := keys.ReadPrivateKeyFile("testdata/keys/rsa_private.pem")
	if err != nil {
		log.Fatal(err)
	}
	signer, err := cfsign.NewSigner("K2JCJMDEHXQW5F", key, nil) // RSA: SHA-1, as the aws CLI
	if err != nil {
		log.Fatal(err)
	}
	signed, err := signer.SignURL("https://d111111abcdef8.cloudfront.net/images/image.jpg?color=red&size=medium",
		cfsign.SignParams{Expires: time.Unix(1767290400, 0)})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(signed)
	// Output:
	// https://d111111abcdef8.cloudfront.net/images/image.jpg?color=red&size=medium&Expires=1767290400&Signature=IkLDHxlDWaxjWUY3DZhIsL4JCsKs0f9pEb2KoaEExewrHreRB-ouqpwcyD07l1t0O-ygvGrPbEUEZSqtxBhvarRO-db~hUh3FO12sTuYY4n5gi91WzfIksJTbNDeCHqfFagSUVX6wMJ1TYm8Oca6qZRA2y~yrLno4lbZCH9leqg0ncHU9~3qfp6HM3ASFBlZwqEkGL9V4Hq7R1dxMA8hO3tJis273Gm~exy9EU1Xaj8t-xzqN221IOObyV1OIqStrYDZzp9KcW5rVSTLw-fNK~4bllgm7uR2jlrNmwwndAINVKga2~aRHLBfZKORLqzB-uDD3zZEHyAPJqMgyUVidA__&Key-Pair-Id=K2JCJMDEHXQW5F
}

// Sign a wildcard custom policy with an ECDSA P-256 key (SHA-256, Hash-Algorithm=SHA256) and
// verify a URL under it as the edge would.
func ExampleVerifier_Verify() {
	priv, err := keys.ReadPrivateKeyFile("testdata/keys/ecdsa_private.pem")
	if err != nil {
		log.Fatal(err)
	}
	signer, err := cfsign.NewSigner("K3ECDSAEXAMPLE", priv, nil)
	if err != nil {
		log.Fatal(err)
	}
	signed, err := signer.SignURL("https://d111111abcdef8.cloudfront.net/training/intro.mp4", cfsign.SignParams{
		Expires:  time.Unix(1767290400, 0),
		Resource: "https://d111111abcdef8.cloudfront.net/training/*",
	})
	if err != nil {
		log.Fatal(err)
	}

	pub, err := keys.ReadPublicKeyFile("testdata/keys/ecdsa_public.pem")
	if err != nil {
		log.Fatal(err)
	}
	v, err := cfsign.NewVerifier([]cfsign.KeyGroup{{Name: "default", Keys: []cfsign.TrustedKey{
		{ID: "K3ECDSAEXAMPLE", PublicKey: pub, Algorithms: []cfsign.HashAlgorithm{cfsign.SHA256}},
	}}}, nil)
	if err != nil {
		log.Fatal(err)
	}
	now := time.Unix(1767250000, 0)
	g, err := v.VerifyURL(signed, netip.MustParseAddr("192.0.2.10"), now, "")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(g.KeyPairID, g.Hash, g.Kind, g.Carrier, g.Expires.UTC().Format(time.RFC3339))

	// After DateLessThan the same URL is refused; clients see only AccessDenied.
	_, err = v.VerifyURL(signed, netip.MustParseAddr("192.0.2.10"), time.Unix(1767290400, 0), "")
	fmt.Println(err.(*cfsign.RejectError).Reason, err.(*cfsign.RejectError).Code())
	// Output:
	// K3ECDSAEXAMPLE SHA256 custom query 2026-01-01T18:00:00Z
	// expired AccessDenied
}

// Parse a received policy strictly: a case-variant key is refused.
func ExampleParsePolicy() {
	_, err := cfsign.ParsePolicy([]byte(`{"Statement":[{"Resource":"https://a.example/x","resource":"*","Condition":{"DateLessThan":{"AWS:EpochTime":1767290400}}}]}`))
	fmt.Println(err)
	// Output:
	// cfsign: refused: malformed_policy: unknown key "resource" in Statement
}
