package awskeys_test

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/aws/aws-sdk-go-v2/config"

	"github.com/signet-project/signet/cfsign"
	"github.com/signet-project/signet/keys"
	"github.com/signet-project/signet/keys/awskeys"
)

// ExampleOpenSource reads the CloudFront signing key from an SSM SecureString, cached for five
// minutes: when SSM is briefly unavailable the last good key keeps signing.
func ExampleOpenSource() {
	ctx := context.Background()
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		fmt.Println(err)
		return
	}
	src, err := awskeys.OpenSource(ctx, "ssm:///signet/private-key", cfg)
	if err != nil {
		fmt.Println(err)
		return
	}
	cached := keys.NewCachedSource(src, 5*time.Minute, slog.Default())
	key, err := cached.Signer(ctx)
	if err != nil {
		fmt.Println(err)
		return
	}
	s, _ := cfsign.NewSigner("K2JCJMDEHXQW5F", key, nil)
	u, _ := s.SignURL("https://d111111abcdef8.cloudfront.net/photos/a.jpg", cfsign.SignParams{Expires: time.Now().Add(time.Hour)})
	fmt.Println(u)
}

// ExampleNewKMSSigner signs with a KMS key (ECC_NIST_P256 or RSA_2048): the private key
// never leaves KMS, and cfsign uses SHA-256 since KMS cannot sign SHA-1.
func ExampleNewKMSSigner() {
	ctx := context.Background()
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		fmt.Println(err)
		return
	}
	src, _ := awskeys.OpenSource(ctx, "kms://alias/signet-cloudfront", cfg)
	key, err := src.Signer(ctx) // a *awskeys.KMSSigner
	if err != nil {
		fmt.Println(err)
		return
	}
	s, _ := cfsign.NewSigner("K2JCJMDEHXQW5F", key, nil)
	fmt.Println(s.Hash()) // SHA256
}
