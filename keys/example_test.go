package keys_test

import (
	"fmt"
	"log"

	"github.com/signet-project/signet/keys"
)

// Generate an ECDSA P-256 key pair and derive its signet key id.
func ExampleGenerate() {
	k, err := keys.Generate(keys.ECDSA)
	if err != nil {
		log.Fatal(err)
	}
	id, err := keys.ID(k.Public())
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(len(id), id[0])
	// Output: 14 75
}

// Keys CloudFront refuses are refused when read.
func ExampleReadPrivateKeyFile() {
	_, err := keys.ReadPrivateKeyFile("testdata/rsa4096_pkcs1.pem")
	fmt.Println(err)
	// Output: keys: RSA key has 4096 bits: keys: unsupported key: CloudFront accepts only RSA-2048 and ECDSA P-256 keys (file testdata/rsa4096_pkcs1.pem)
}
