package awskeys

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/x509"
	"errors"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	kmstypes "github.com/aws/aws-sdk-go-v2/service/kms/types"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"

	"github.com/signet-project/signet/cfsign"
	"github.com/signet-project/signet/keys"
)

type fakeSSM struct {
	value string
	err   error
	got   *ssm.GetParameterInput
}

func (f *fakeSSM) GetParameter(ctx context.Context, in *ssm.GetParameterInput, _ ...func(*ssm.Options)) (*ssm.GetParameterOutput, error) {
	f.got = in
	if f.err != nil {
		return nil, f.err
	}
	return &ssm.GetParameterOutput{Parameter: &ssmtypes.Parameter{Value: aws.String(f.value)}}, nil
}

type fakeSM struct {
	str *string
	bin []byte
	err error
}

func (f *fakeSM) GetSecretValue(ctx context.Context, in *secretsmanager.GetSecretValueInput, _ ...func(*secretsmanager.Options)) (*secretsmanager.GetSecretValueOutput, error) {
	if f.err != nil {
		return nil, f.err
	}
	return &secretsmanager.GetSecretValueOutput{SecretString: f.str, SecretBinary: f.bin}, nil
}

// fakeKMS signs with a local key, checking the request like KMS does.
type fakeKMS struct {
	key   crypto.Signer
	calls int
	err   error
}

func (f *fakeKMS) GetPublicKey(ctx context.Context, in *kms.GetPublicKeyInput, _ ...func(*kms.Options)) (*kms.GetPublicKeyOutput, error) {
	if f.err != nil {
		return nil, f.err
	}
	der, err := x509.MarshalPKIXPublicKey(f.key.Public())
	if err != nil {
		return nil, err
	}
	return &kms.GetPublicKeyOutput{PublicKey: der, KeyUsage: kmstypes.KeyUsageTypeSignVerify}, nil
}

func (f *fakeKMS) Sign(ctx context.Context, in *kms.SignInput, _ ...func(*kms.Options)) (*kms.SignOutput, error) {
	f.calls++
	if f.err != nil {
		return nil, f.err
	}
	if in.MessageType != kmstypes.MessageTypeDigest || len(in.Message) != 32 {
		return nil, errors.New("fake kms: want a DIGEST of 32 bytes")
	}
	switch f.key.(type) {
	case *ecdsa.PrivateKey:
		if in.SigningAlgorithm != kmstypes.SigningAlgorithmSpecEcdsaSha256 {
			return nil, errors.New("fake kms: wrong algorithm")
		}
	case *rsa.PrivateKey:
		if in.SigningAlgorithm != kmstypes.SigningAlgorithmSpecRsassaPkcs1V15Sha256 {
			return nil, errors.New("fake kms: wrong algorithm")
		}
	}
	sig, err := f.key.Sign(rand.Reader, in.Message, crypto.SHA256)
	return &kms.SignOutput{Signature: sig}, err
}

func pemOf(t *testing.T, k crypto.Signer) string {
	t.Helper()
	b, err := keys.MarshalPrivateKeyPEM(k)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestSSMSource(t *testing.T) {
	k, _ := keys.Generate(keys.ECDSA)
	f := &fakeSSM{value: pemOf(t, k)}
	s := &SSMSource{Client: f, Name: "/signet/key"}
	got, err := s.Signer(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if !got.Public().(*ecdsa.PublicKey).Equal(k.Public()) {
		t.Fatal("wrong key")
	}
	if !*f.got.WithDecryption || *f.got.Name != "/signet/key" {
		t.Fatalf("GetParameter input %+v: want WithDecryption and the name", f.got)
	}
	f.value = "not a pem"
	if _, err := s.Signer(context.Background()); err == nil || strings.Contains(err.Error(), "not a pem") {
		t.Fatalf("got %v, want a parse error that does not echo the value", err)
	}
}

func TestSecretsManagerSource(t *testing.T) {
	k, _ := keys.Generate(keys.RSA)
	p := pemOf(t, k)
	for name, f := range map[string]*fakeSM{"string": {str: &p}, "binary": {bin: []byte(p)}} {
		t.Run(name, func(t *testing.T) {
			got, err := (&SecretsManagerSource{Client: f, SecretID: "signet"}).Signer(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if !got.Public().(*rsa.PublicKey).Equal(k.Public()) {
				t.Fatal("wrong key")
			}
		})
	}
	if _, err := (&SecretsManagerSource{Client: &fakeSM{}, SecretID: "x"}).Signer(context.Background()); err == nil {
		t.Fatal("empty secret accepted")
	}
}

func TestKMSSigner(t *testing.T) {
	for _, typ := range []keys.Type{keys.ECDSA, keys.RSA} {
		t.Run(string(typ), func(t *testing.T) {
			k, _ := keys.Generate(typ)
			f := &fakeKMS{key: k}
			s, err := (&KMSSource{Client: f, KeyID: "alias/signet"}).Signer(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			d := sha256.Sum256([]byte("policy"))
			sig, err := s.Sign(nil, d[:], crypto.SHA256)
			if err != nil {
				t.Fatal(err)
			}
			switch pub := s.Public().(type) {
			case *ecdsa.PublicKey:
				if !ecdsa.VerifyASN1(pub, d[:], sig) {
					t.Fatal("ECDSA signature does not verify")
				}
			case *rsa.PublicKey:
				if rsa.VerifyPKCS1v15(pub, crypto.SHA256, d[:], sig) != nil {
					t.Fatal("RSA signature does not verify")
				}
			}
			h1 := sha1.Sum([]byte("policy"))
			calls := f.calls
			if _, err := s.Sign(nil, h1[:], crypto.SHA1); !errors.Is(err, ErrSHA1) {
				t.Fatalf("SHA-1: got %v, want ErrSHA1", err)
			}
			if _, err := s.Sign(nil, d[:], &rsa.PSSOptions{Hash: crypto.SHA256}); err == nil {
				t.Fatal("PSS accepted")
			}
			if f.calls != calls {
				t.Fatal("refused digests must not reach KMS")
			}
		})
	}
}

func TestKMSRefusesUnsupportedKey(t *testing.T) {
	k, _ := rsa.GenerateKey(rand.Reader, 3072)
	if _, err := NewKMSSigner(context.Background(), &fakeKMS{key: k}, "k", time.Second); !errors.Is(err, keys.ErrUnsupportedKey) {
		t.Fatalf("RSA-3072: got %v, want ErrUnsupportedKey", err)
	}
}

// TestCachedSourceKeepsLastGoodKey: a backend outage after the first load keeps serving.
func TestCachedSourceKeepsLastGoodKey(t *testing.T) {
	k, _ := keys.Generate(keys.ECDSA)
	f := &fakeSSM{value: pemOf(t, k)}
	c := keys.NewCachedSource(&SSMSource{Client: f, Name: "n"}, time.Nanosecond, nil)
	if _, err := c.Signer(context.Background()); err != nil {
		t.Fatal(err)
	}
	f.err = errors.New("connection refused")
	time.Sleep(time.Millisecond)
	got, err := c.Signer(context.Background())
	if err != nil || !got.Public().(*ecdsa.PublicKey).Equal(k.Public()) {
		t.Fatalf("got %v, want the last good key", err)
	}
}

func TestOpenSource(t *testing.T) {
	cfg := aws.Config{Region: "us-east-1"}
	for uri, want := range map[string]string{
		"ssm:///signet/key":        "*awskeys.SSMSource",
		"secretsmanager://signet":  "*awskeys.SecretsManagerSource",
		"kms://alias/signet":       "*awskeys.KMSSource",
		"file://keys/private.pem":  "keys.FileSource",
		"env://SIGNET_PRIVATE_KEY": "keys.EnvSource",
	} {
		s, err := OpenSource(context.Background(), uri, cfg)
		if err != nil {
			t.Fatalf("%s: %v", uri, err)
		}
		if got := typeName(s); got != want {
			t.Errorf("%s: got %s, want %s", uri, got, want)
		}
	}
	for _, uri := range []string{"ssm://", "kms://", "secretsmanager://", "vault://x", "plain"} {
		if _, err := OpenSource(context.Background(), uri, cfg); err == nil {
			t.Errorf("%s accepted", uri)
		}
	}
}

// TestKMSSignerWithCfsign: a CloudFront URL signed through the KMS signer (DIGEST requests
// checked by the fake) verifies with cfsign, and cfsign picks SHA-256 for KMS keys.
func TestKMSSignerWithCfsign(t *testing.T) {
	for _, typ := range []keys.Type{keys.ECDSA, keys.RSA} {
		t.Run(string(typ), func(t *testing.T) {
			k, _ := keys.Generate(typ)
			s, err := NewKMSSigner(context.Background(), &fakeKMS{key: k}, "alias/signet", 0)
			if err != nil {
				t.Fatal(err)
			}
			cs, err := cfsign.NewSigner("KKMSTEST000001", s, nil)
			if err != nil {
				t.Fatal(err)
			}
			if cs.Hash() != cfsign.SHA256 {
				t.Fatalf("hash %s, want SHA256 for a KMS key", cs.Hash())
			}
			now := time.Now()
			u, err := cs.SignURL("https://cdn.example.com/users/alice/a.jpg", cfsign.SignParams{Expires: now.Add(time.Hour)})
			if err != nil {
				t.Fatal(err)
			}
			v, err := cfsign.NewVerifier([]cfsign.KeyGroup{{Name: "g", Keys: []cfsign.TrustedKey{
				{ID: "KKMSTEST000001", PublicKey: k.Public(), Algorithms: []cfsign.HashAlgorithm{cfsign.SHA256}}}}}, nil)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := v.VerifyURL(u, netip.MustParseAddr("192.0.2.1"), now, ""); err != nil {
				t.Fatal(err)
			}
			if _, err := cfsign.NewSigner("KKMSTEST000001", s, &cfsign.SignerOptions{Hash: cfsign.SHA1}); err == nil {
				t.Error("cfsign accepted SHA-1 for a KMS key")
			}
		})
	}
}
