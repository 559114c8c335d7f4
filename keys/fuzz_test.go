package keys

import (
	"crypto"
	"os"
	"path/filepath"
	"testing"
)

func FuzzParsePrivateKeyPEM(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "*.pem"))
	for _, name := range files {
		if data, err := os.ReadFile(name); err == nil && len(data) < 2000 {
			f.Add(data)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		k, err := ParsePrivateKeyPEM(data)
		if err != nil {
			if k != nil {
				t.Fatalf("error %v with a key", err)
			}
			return
		}
		if err := CheckPublicKey(k.Public()); err != nil {
			t.Fatalf("accepted an unsupported key: %v", err)
		}
		out, err := MarshalPrivateKeyPEM(k)
		if err != nil {
			t.Fatal(err)
		}
		k2, err := ParsePrivateKeyPEM(out)
		if err != nil {
			t.Fatalf("re-parse: %v", err)
		}
		if !k2.Public().(interface{ Equal(crypto.PublicKey) bool }).Equal(k.Public()) {
			t.Fatal("round trip changed the key")
		}
	})
}
