package config

import (
	"net"
	"net/url"
	"path/filepath"
	"strings"

	"github.com/signet-project/signet/edge"
	"github.com/signet-project/signet/issuer"
	"github.com/signet-project/signet/store/s3api"
)

// DevBucket is the embedded default's bucket.
const DevBucket = "media"

// Embedded returns the skeleton of the embedded default (DESIGN.md, "Embedded default"):
// every role on 127.0.0.1 with its default port, data in ./signet-data. Keys, credentials
// and the URLs that depend on bound addresses are filled in by FillDev once the listeners
// are bound.
func Embedded() *Config {
	e, is, st := edge.DefaultConfig(), issuer.DefaultConfig(), s3api.DefaultConfig()
	e.Listen, is.Listen, st.Listen = "127.0.0.1:8080", "127.0.0.1:8081", "127.0.0.1:9000"
	return &Config{
		DataDir: DefaultDataDir,
		Log:     Log{Level: "info", Format: "auto"},
		Admin:   &Admin{Listen: "127.0.0.1:9090"},
		Store:   &st,
		Edge:    &e,
		Issuer:  &is,
	}
}

// FillDev completes the embedded default with the development state and the bound URLs:
// both keys in the default key group, the store with bucket media and CORS for the issuer's
// page, the edge mapping /KEY to object KEY in media with signatures required everywhere, and
// the issuer with the demo users, dev login and the rule users/{sub}/*.
func (c *Config) FillDev(d *Dev, u DevURLs) {
	rel := func(p string) string {
		if r, err := filepath.Rel(c.DataDir, p); err == nil && !strings.HasPrefix(r, "..") {
			return filepath.ToSlash(r)
		}
		return p
	}
	both := []string{"SHA1", "SHA256"}
	c.Admin.Credentials = []Credential{d.Admin}
	c.Keys = []Key{
		{ID: d.ECDSAKeyID, Public: "file://" + rel(d.ECDSAPublic), Algorithms: both},
		{ID: d.RSAKeyID, Public: "file://" + rel(d.RSAPublic), Algorithms: both},
	}
	c.KeyGroups = map[string][]string{"default": {d.ECDSAKeyID, d.RSAKeyID}}

	c.Store.Root = filepath.Join(c.DataDir, "objects")
	c.Store.Buckets = []string{DevBucket}
	c.Store.Region = DevRegion
	c.Store.Credentials = []s3api.Credential{{AccessKeyID: d.Admin.AccessKeyID, SecretAccessKey: d.Admin.SecretAccessKey}}
	c.Store.CORSOrigins = corsOrigins(u.Issuer)

	c.Edge.Origins = map[string]edge.OriginConfig{
		DevBucket: {
			Type: edge.OriginS3, Endpoint: u.Store, Bucket: DevBucket, Region: DevRegion,
			Credentials: edge.Credentials{AccessKeyID: d.Admin.AccessKeyID, SecretAccessKey: d.Admin.SecretAccessKey},
		},
	}
	c.Edge.Behaviors = []edge.BehaviorConfig{{
		Path: "*", Origin: DevBucket, Methods: []string{"GET", "HEAD"}, KeyGroups: []string{"default"},
	}}
	c.Edge.TrustedProxies = nil

	c.Issuer.PublicBaseURL = u.Edge
	c.Issuer.SigningKey.ID = d.ECDSAKeyID
	c.Issuer.SigningKey.Source = "file://" + rel(d.ECDSAPrivate)
	var apiKeys []issuer.APIKey
	var creds []issuer.SigV4Credential
	var names []string
	for _, du := range d.Users {
		apiKeys = append(apiKeys, issuer.APIKey{User: du.Name, SHA256: issuer.HashAPIKey(du.APIKey)})
		creds = append(creds, issuer.SigV4Credential{User: du.Name, AccessKeyID: du.AccessKeyID, SecretAccessKey: du.SecretAccessKey})
		names = append(names, du.Name)
	}
	c.Issuer.Authenticators = []issuer.AuthenticatorConfig{
		{Type: issuer.AuthAPIKey, Keys: apiKeys},
		{Type: issuer.AuthSigV4, Region: DevRegion, Credentials: creds},
	}
	c.Issuer.Rules = []issuer.Rule{{
		Allow:       "users/{sub}/*",
		Actions:     []string{issuer.ActionRead, issuer.ActionUpload, issuer.ActionList},
		MaxLifetime: c.Issuer.Rules[0].MaxLifetime,
	}}
	c.Issuer.Dev = issuer.DevConfig{Enabled: true, Users: names}
	c.Issuer.Uploads.Region = DevRegion
}

// corsOrigins returns the page's origin and, for loopback, its localhost twin, so the page
// works whichever name the browser used.
func corsOrigins(issuerURL string) []string {
	out := []string{issuerURL}
	u, err := url.Parse(issuerURL)
	if err != nil {
		return out
	}
	host, port := u.Hostname(), u.Port()
	if host == "127.0.0.1" {
		out = append(out, u.Scheme+"://"+net.JoinHostPort("localhost", port))
	}
	return out
}

// URLOf returns "http://" + addr for a bound listener address (no trailing slash).
func URLOf(addr net.Addr) string {
	return "http://" + addr.String()
}
