package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
)

// publicKey is a CloudFront public key in the form the stack needs.
type publicKey struct {
	pem         []byte // canonical SPKI "PUBLIC KEY" PEM, what CloudFront's EncodedKey takes
	fingerprint string // lower-case hex SHA-256 of the SPKI DER (keys.Fingerprint)
}

// parsePublicKey reads one SPKI "PUBLIC KEY" or PKCS#1 "RSA PUBLIC KEY" block and refuses what
// CloudFront refuses: anything but RSA-2048 and ECDSA P-256.
func parsePublicKey(data []byte) (*publicKey, error) {
	block, rest := pem.Decode(data)
	if block == nil {
		return nil, errors.New("deploy: no PEM block")
	}
	if p, _ := pem.Decode(rest); p != nil {
		return nil, errors.New("deploy: more than one PEM block")
	}
	var pub any
	var err error
	switch block.Type {
	case "PUBLIC KEY":
		pub, err = x509.ParsePKIXPublicKey(block.Bytes)
	case "RSA PUBLIC KEY":
		pub, err = x509.ParsePKCS1PublicKey(block.Bytes)
	default:
		return nil, fmt.Errorf("deploy: PEM block %q is not a public key", block.Type)
	}
	if err != nil {
		return nil, fmt.Errorf("deploy: parse public key: %w", err)
	}
	switch k := pub.(type) {
	case *rsa.PublicKey:
		if k.N.BitLen() != 2048 {
			return nil, fmt.Errorf("deploy: RSA-%d key: CloudFront accepts RSA-2048 and ECDSA P-256 only", k.N.BitLen())
		}
	case *ecdsa.PublicKey:
		if k.Curve != elliptic.P256() {
			return nil, errors.New("deploy: ECDSA key not on P-256: CloudFront accepts RSA-2048 and ECDSA P-256 only")
		}
	default:
		return nil, fmt.Errorf("deploy: %T: CloudFront accepts RSA-2048 and ECDSA P-256 only", pub)
	}
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return nil, fmt.Errorf("deploy: encode public key: %w", err)
	}
	sum := sha256.Sum256(der)
	return &publicKey{
		pem:         pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}),
		fingerprint: hex.EncodeToString(sum[:]),
	}, nil
}
