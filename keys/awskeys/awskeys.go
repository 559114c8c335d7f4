// Package awskeys provides [keys.Source] implementations backed by AWS: an SSM Parameter
// Store SecureString (ssm://NAME), a Secrets Manager secret (secretsmanager://ID) holding a
// PEM private key, and a KMS asymmetric key (kms://KEY-ID) used through a [crypto.Signer]
// whose private key never leaves KMS.
//
// [OpenSource] maps a key source URI to a Source; file:// and env:// are passed on to
// [keys.OpenSource]. Wrap the result in [keys.NewCachedSource] so that a backend that is
// briefly unavailable does not stop signing: the last good key keeps being served.
//
// # Security
//
// Every AWS call runs under a timeout (Timeout, default 10 s). SSM parameters are read with
// WithDecryption; the PEM is parsed by [keys.ParsePrivateKeyPEM], which accepts RSA-2048 and
// ECDSA P-256 only. The KMS signer signs SHA-256 digests only (MessageType DIGEST with
// ECDSA_SHA_256 or RSASSA_PKCS1_V1_5_SHA_256): KMS has no SHA-1 signing, so a CloudFront
// signer using it must use Hash-Algorithm SHA256. Errors never contain key material.
package awskeys

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/rsa"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	kmstypes "github.com/aws/aws-sdk-go-v2/service/kms/types"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/ssm"

	"github.com/signet-project/signet/keys"
)

// DefaultTimeout bounds each AWS call when a source's Timeout is zero.
const DefaultTimeout = 10 * time.Second

// ErrSHA1 is returned by the KMS signer for anything but a SHA-256 digest.
var ErrSHA1 = errors.New("awskeys: kms signs SHA-256 digests only (KMS has no SHA-1 signing algorithm): configure the signer with hash algorithm SHA256")

// SSMAPI is the part of the SSM client used here.
type SSMAPI interface {
	GetParameter(ctx context.Context, in *ssm.GetParameterInput, optFns ...func(*ssm.Options)) (*ssm.GetParameterOutput, error)
}

// SecretsManagerAPI is the part of the Secrets Manager client used here.
type SecretsManagerAPI interface {
	GetSecretValue(ctx context.Context, in *secretsmanager.GetSecretValueInput, optFns ...func(*secretsmanager.Options)) (*secretsmanager.GetSecretValueOutput, error)
}

// KMSAPI is the part of the KMS client used here.
type KMSAPI interface {
	GetPublicKey(ctx context.Context, in *kms.GetPublicKeyInput, optFns ...func(*kms.Options)) (*kms.GetPublicKeyOutput, error)
	Sign(ctx context.Context, in *kms.SignInput, optFns ...func(*kms.Options)) (*kms.SignOutput, error)
}

// OpenSource returns the Source named by uri: ssm://NAME (NAME as stored, e.g.
// ssm:///signet/private-key for "/signet/private-key"), secretsmanager://ID (name or ARN),
// kms://KEY-ID (id, ARN or alias/NAME), and file:// or env:// through keys.OpenSource. cfg
// supplies region, credentials and endpoint (BaseEndpoint) for the AWS clients; it is not
// used for file:// and env://. ctx is unused today and kept for future validation calls.
func OpenSource(ctx context.Context, uri string, cfg aws.Config) (keys.Source, error) {
	scheme, rest, ok := strings.Cut(uri, "://")
	if !ok {
		return keys.OpenSource(uri)
	}
	switch scheme {
	case "ssm":
		if rest == "" {
			return nil, errors.New("awskeys: ssm://: empty parameter name")
		}
		return &SSMSource{Client: ssm.NewFromConfig(cfg), Name: rest}, nil
	case "secretsmanager":
		if rest == "" {
			return nil, errors.New("awskeys: secretsmanager://: empty secret id")
		}
		return &SecretsManagerSource{Client: secretsmanager.NewFromConfig(cfg), SecretID: rest}, nil
	case "kms":
		if rest == "" {
			return nil, errors.New("awskeys: kms://: empty key id")
		}
		return &KMSSource{Client: kms.NewFromConfig(cfg), KeyID: rest}, nil
	}
	return keys.OpenSource(uri)
}

func withTimeout(ctx context.Context, d time.Duration) (context.Context, context.CancelFunc) {
	if d <= 0 {
		d = DefaultTimeout
	}
	return context.WithTimeout(ctx, d)
}

// SSMSource reads a PEM private key from an SSM parameter (SecureString, decrypted). Each
// Signer call reads the parameter; wrap it in keys.NewCachedSource. Safe for concurrent use.
type SSMSource struct {
	Client  SSMAPI
	Name    string
	Timeout time.Duration // per call; 0 = DefaultTimeout
}

// Signer implements keys.Source.
func (s *SSMSource) Signer(ctx context.Context) (crypto.Signer, error) {
	ctx, cancel := withTimeout(ctx, s.Timeout)
	defer cancel()
	out, err := s.Client.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String(s.Name), WithDecryption: aws.Bool(true)})
	if err != nil {
		return nil, fmt.Errorf("awskeys: ssm parameter %s: %w", s.Name, err)
	}
	if out.Parameter == nil || out.Parameter.Value == nil {
		return nil, fmt.Errorf("awskeys: ssm parameter %s: no value", s.Name)
	}
	k, err := keys.ParsePrivateKeyPEM([]byte(*out.Parameter.Value))
	if err != nil {
		return nil, fmt.Errorf("awskeys: ssm parameter %s: %w", s.Name, err)
	}
	return k, nil
}

// SecretsManagerSource reads a PEM private key from a Secrets Manager secret (SecretString,
// or SecretBinary holding the PEM). Each Signer call reads the secret's current version; wrap
// it in keys.NewCachedSource. Safe for concurrent use.
type SecretsManagerSource struct {
	Client   SecretsManagerAPI
	SecretID string
	Timeout  time.Duration // per call; 0 = DefaultTimeout
}

// Signer implements keys.Source.
func (s *SecretsManagerSource) Signer(ctx context.Context) (crypto.Signer, error) {
	ctx, cancel := withTimeout(ctx, s.Timeout)
	defer cancel()
	out, err := s.Client.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String(s.SecretID)})
	if err != nil {
		return nil, fmt.Errorf("awskeys: secret %s: %w", s.SecretID, err)
	}
	var pemBytes []byte
	switch {
	case out.SecretString != nil:
		pemBytes = []byte(*out.SecretString)
	case len(out.SecretBinary) > 0:
		pemBytes = out.SecretBinary
	default:
		return nil, fmt.Errorf("awskeys: secret %s: empty", s.SecretID)
	}
	k, err := keys.ParsePrivateKeyPEM(pemBytes)
	if err != nil {
		return nil, fmt.Errorf("awskeys: secret %s: %w", s.SecretID, err)
	}
	return k, nil
}

// KMSSource yields a KMSSigner for an asymmetric KMS key (ECC_NIST_P256 or RSA_2048,
// usage SIGN_VERIFY). Each Signer call fetches the public key; wrap it in
// keys.NewCachedSource. Safe for concurrent use.
type KMSSource struct {
	Client  KMSAPI
	KeyID   string
	Timeout time.Duration // per call; 0 = DefaultTimeout
}

// Signer implements keys.Source.
func (s *KMSSource) Signer(ctx context.Context) (crypto.Signer, error) {
	return NewKMSSigner(ctx, s.Client, s.KeyID, s.Timeout)
}

// KMSSigner is a crypto.Signer whose Sign calls KMS Sign (MessageType DIGEST). The private
// key never leaves KMS. Safe for concurrent use.
type KMSSigner struct {
	client  KMSAPI
	keyID   string
	pub     crypto.PublicKey
	alg     kmstypes.SigningAlgorithmSpec
	timeout time.Duration
}

// NewKMSSigner fetches the public key of keyID (GetPublicKey) and checks that it is an
// RSA-2048 or ECDSA P-256 signing key. timeout bounds each KMS call (0 = DefaultTimeout).
func NewKMSSigner(ctx context.Context, client KMSAPI, keyID string, timeout time.Duration) (*KMSSigner, error) {
	cctx, cancel := withTimeout(ctx, timeout)
	defer cancel()
	out, err := client.GetPublicKey(cctx, &kms.GetPublicKeyInput{KeyId: aws.String(keyID)})
	if err != nil {
		return nil, fmt.Errorf("awskeys: kms key %s: %w", keyID, err)
	}
	if out.KeyUsage != "" && out.KeyUsage != kmstypes.KeyUsageTypeSignVerify {
		return nil, fmt.Errorf("awskeys: kms key %s: key usage %s, want SIGN_VERIFY", keyID, out.KeyUsage)
	}
	pub, err := x509.ParsePKIXPublicKey(out.PublicKey)
	if err != nil {
		return nil, fmt.Errorf("awskeys: kms key %s: public key: %w", keyID, err)
	}
	if err := keys.CheckPublicKey(pub); err != nil {
		return nil, fmt.Errorf("awskeys: kms key %s: %w", keyID, err)
	}
	s := &KMSSigner{client: client, keyID: keyID, pub: pub, timeout: timeout}
	// moto leaves KeySpec empty (DEPENDENCIES.md): the algorithm follows the key itself.
	switch pub.(type) {
	case *ecdsa.PublicKey:
		s.alg = kmstypes.SigningAlgorithmSpecEcdsaSha256
	case *rsa.PublicKey:
		s.alg = kmstypes.SigningAlgorithmSpecRsassaPkcs1V15Sha256
	}
	if len(out.SigningAlgorithms) > 0 {
		found := false
		for _, a := range out.SigningAlgorithms {
			found = found || a == s.alg
		}
		if !found {
			return nil, fmt.Errorf("awskeys: kms key %s does not offer %s", keyID, s.alg)
		}
	}
	return s, nil
}

// Public returns the public key fetched from KMS.
func (s *KMSSigner) Public() crypto.PublicKey { return s.pub }

// SupportedHashes reports SHA-256 only (cfsign.HashLimiter): a CloudFront signer built on a
// KMS key then defaults to Hash-Algorithm SHA256, for RSA keys too.
func (s *KMSSigner) SupportedHashes() []crypto.Hash { return []crypto.Hash{crypto.SHA256} }

// KeyID returns the KMS key id the signer uses.
func (s *KMSSigner) KeyID() string { return s.keyID }

// Sign signs a SHA-256 digest with KMS: ECDSA keys give an ASN.1 DER signature, RSA keys a
// PKCS #1 v1.5 one. Any other hash (SHA-1 in particular) and PSS options are refused with
// ErrSHA1 or an error, before any call. rand is ignored.
func (s *KMSSigner) Sign(_ io.Reader, digest []byte, opts crypto.SignerOpts) ([]byte, error) {
	if _, pss := opts.(*rsa.PSSOptions); pss {
		return nil, errors.New("awskeys: kms signer does not do RSA-PSS")
	}
	if opts == nil || opts.HashFunc() != crypto.SHA256 {
		return nil, ErrSHA1
	}
	if len(digest) != 32 {
		return nil, errors.New("awskeys: digest must be 32 bytes (SHA-256)")
	}
	ctx, cancel := withTimeout(context.Background(), s.timeout)
	defer cancel()
	out, err := s.client.Sign(ctx, &kms.SignInput{
		KeyId:            aws.String(s.keyID),
		Message:          digest,
		MessageType:      kmstypes.MessageTypeDigest,
		SigningAlgorithm: s.alg,
	})
	if err != nil {
		return nil, fmt.Errorf("awskeys: kms sign with %s: %w", s.keyID, err)
	}
	if len(out.Signature) == 0 {
		return nil, fmt.Errorf("awskeys: kms sign with %s: empty signature", s.keyID)
	}
	return out.Signature, nil
}
