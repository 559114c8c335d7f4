package issuer_test

import (
	"context"
	"crypto"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/signet-project/signet/issuer"
	"github.com/signet-project/signet/keys"
)

type oneKey struct{ k crypto.Signer }

func (o oneKey) Signer(context.Context) (crypto.Signer, error) { return o.k, nil }

// ExampleNew runs an issuer with one API-key user and asks it for a signed URL.
func ExampleNew() {
	key, _ := keys.Generate(keys.ECDSA)
	cfg := issuer.DefaultConfig()
	cfg.PublicBaseURL = "https://cdn.example.com"
	cfg.SigningKey.ID = "K2JCJMDEHXQW5F"
	cfg.Authenticators = []issuer.AuthenticatorConfig{{
		Type: issuer.AuthAPIKey,
		Keys: []issuer.APIKey{{User: "alice", SHA256: issuer.HashAPIKey("alice-secret-api-key")}},
	}}
	srv, err := issuer.New(cfg, issuer.Deps{Signer: oneKey{key}})
	if err != nil {
		fmt.Println(err)
		return
	}

	r := httptest.NewRequest("POST", "/v1/urls", strings.NewReader(`{"keys":["users/alice/cat.jpg"],"expires_in":60}`))
	r.Header.Set("Content-Type", "application/json")
	r.Header.Set(issuer.APIKeyHeader, "alice-secret-api-key")
	w := httptest.NewRecorder()
	srv.ServeHTTP(w, r)
	fmt.Println(w.Code, strings.Contains(w.Body.String(), `"url":"https://cdn.example.com/users/alice/cat.jpg?`))

	// Another user's key is refused.
	r = httptest.NewRequest("POST", "/v1/urls", strings.NewReader(`{"keys":["users/bob/cat.jpg"]}`))
	r.Header.Set("Content-Type", "application/json")
	r.Header.Set(issuer.APIKeyHeader, "alice-secret-api-key")
	w = httptest.NewRecorder()
	srv.ServeHTTP(w, r)
	fmt.Println(w.Code, http.StatusText(w.Code))
	// Output:
	// 200 true
	// 403 Forbidden
}

// ExampleHashAPIKey prints the form an API key is stored in (config `sha256:`).
func ExampleHashAPIKey() {
	fmt.Println(issuer.HashAPIKey("alice-secret-api-key"))
	// Output: 0782641cfcd3d2b5bbca48a7cf0eb9326d3c2ce7d2100f34fa3b60bb61791c29
}
