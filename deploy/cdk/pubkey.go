package main

import (
	"encoding/pem"
	"errors"
	"fmt"

	"github.com/signet-project/signet/keys"
)

// publicKey is a CloudFront public key in the form the stack needs.
type publicKey struct {
	pem         []byte // canonical SPKI "PUBLIC KEY" PEM, what CloudFront's EncodedKey takes
	fingerprint string // keys.Fingerprint: lower-case hex SHA-256 of the SPKI DER
}

// parsePublicKey reads an SPKI "PUBLIC KEY" or PKCS#1 "RSA PUBLIC KEY" PEM and refuses what
// CloudFront refuses (anything but RSA-2048 and ECDSA P-256) and files holding more than one
// key, where it would be unclear which one the stack trusts.
func parsePublicKey(data []byte) (*publicKey, error) {
	pub, err := keys.ParsePublicKeyPEM(data)
	if err != nil {
		return nil, fmt.Errorf("deploy: %w", err)
	}
	if rest := afterFirstBlock(data); len(rest) > 0 {
		if _, err := keys.ParsePublicKeyPEM(rest); err == nil {
			return nil, errors.New("deploy: more than one public key in the PEM data")
		}
	}
	fp, err := keys.Fingerprint(pub)
	if err != nil {
		return nil, fmt.Errorf("deploy: %w", err)
	}
	canonical, err := keys.MarshalPublicKeyPEM(pub)
	if err != nil {
		return nil, fmt.Errorf("deploy: %w", err)
	}
	return &publicKey{pem: canonical, fingerprint: fp}, nil
}

// afterFirstBlock returns what follows the first PEM block of data.
func afterFirstBlock(data []byte) []byte {
	_, rest := pem.Decode(data)
	return rest
}
