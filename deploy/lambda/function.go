package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/signet-project/signet/issuer"
	"github.com/signet-project/signet/keys"
	"github.com/signet-project/signet/sigv4"
	"github.com/signet-project/signet/store"
)

// Environment variables the function reads (deploy/cdk sets them).
const (
	EnvKeyPairID     = "CLOUDFRONT_KEY_PAIR_ID" // CloudFront public key id, the Key-Pair-Id of signed URLs (required)
	EnvKeyParameter  = "SIGNING_KEY_PARAMETER"  // SSM SecureString name holding the private key PEM
	EnvKeySource     = "SIGNING_KEY_SOURCE"     // file://PATH or env://NAME instead of SSM (local runs, tests)
	EnvKeyRefresh    = "SIGNING_KEY_REFRESH"    // how often the key is re-read (Go duration; default 5m)
	EnvKeyHash       = "SIGNING_KEY_HASH"       // SHA1 or SHA256; "" = default for the key type
	EnvPublicBaseURL = "PUBLIC_BASE_URL"        // https://<distribution domain> (required)
	EnvBucket        = "BUCKET"                 // the media bucket: presigned uploads and GET /v1/objects; "" disables both
	EnvPathPrefix    = "API_PATH_PREFIX"        // removed from function URL paths (CloudFront /api/*)
	EnvTrustURLIAM   = "TRUST_FUNCTION_URL_IAM" // "true": a function URL's IAM principal is the caller
	EnvGroupsClaim   = "GROUPS_CLAIM"           // claim holding the caller's groups; default cognito:groups
	EnvIssuerConfig  = "ISSUER_CONFIG"          // optional YAML of signet.yaml's issuer: section (rules, limits…)
	EnvLogLevel      = "LOG_LEVEL"              // debug, info, warn, error
)

// functionConfig is the function's configuration, read from the environment at cold start.
type functionConfig struct {
	Issuer        issuer.Config
	KeySource     string // file://… or env://…; "" = SSM
	KeyParameter  string
	Refresh       time.Duration
	Bucket        string
	Region        string
	PathPrefix    string
	TrustURLIAM   bool
	GroupsClaim   string
	LogLevel      slog.Level
	UploadCreds   sigv4.Credentials
	UploadBaseURL string
}

// loadConfig reads the environment through getenv and reports every problem at once.
func loadConfig(getenv func(string) string) (functionConfig, error) {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf("lambda: "+format, args...)) }

	fc := functionConfig{Issuer: issuer.DefaultConfig()}
	if y := getenv(EnvIssuerConfig); y != "" {
		dec := yaml.NewDecoder(bytes.NewReader([]byte(y)))
		dec.KnownFields(true)
		if err := dec.Decode(&fc.Issuer); err != nil {
			bad("%s: %v", EnvIssuerConfig, err)
		}
	}
	ic := &fc.Issuer
	ic.Listen = "" // the function does not listen
	ic.PublicBaseURL = getenv(EnvPublicBaseURL)
	if ic.PublicBaseURL == "" {
		bad("%s is required (https://<distribution domain>)", EnvPublicBaseURL)
	}
	ic.SigningKey.ID = getenv(EnvKeyPairID)
	if ic.SigningKey.ID == "" {
		bad("%s is required (the CloudFront public key id)", EnvKeyPairID)
	}
	ic.SigningKey.HashAlgorithm = getenv(EnvKeyHash)

	fc.KeySource, fc.KeyParameter = getenv(EnvKeySource), getenv(EnvKeyParameter)
	switch {
	case fc.KeySource != "":
		if !strings.HasPrefix(fc.KeySource, "file://") && !strings.HasPrefix(fc.KeySource, "env://") {
			bad("%s: want file://PATH or env://NAME (SSM: set %s)", EnvKeySource, EnvKeyParameter)
		}
		ic.SigningKey.Source = fc.KeySource
	case fc.KeyParameter != "":
		ic.SigningKey.Source = "ssm://" + fc.KeyParameter
	default:
		bad("%s is required (the SSM SecureString holding the private key)", EnvKeyParameter)
	}
	fc.Refresh = 5 * time.Minute
	if v := getenv(EnvKeyRefresh); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d < 0 {
			bad("%s: %q is not a duration", EnvKeyRefresh, v)
		}
		fc.Refresh = d
	}

	fc.Region = getenv("AWS_REGION")
	fc.Bucket = getenv(EnvBucket)
	if fc.Bucket != "" {
		// Presigned PUTs are signed with the function's own role credentials (the Lambda
		// runtime puts them in the environment), which may write under users/* only.
		fc.UploadCreds = sigv4.Credentials{
			AccessKeyID:     getenv("AWS_ACCESS_KEY_ID"),
			SecretAccessKey: getenv("AWS_SECRET_ACCESS_KEY"),
			SessionToken:    getenv("AWS_SESSION_TOKEN"),
		}
		if fc.Region != "" && fc.UploadCreds.AccessKeyID != "" {
			fc.UploadBaseURL = "https://s3." + fc.Region + ".amazonaws.com"
			ic.Uploads.Region = fc.Region
		}
	}
	fc.PathPrefix = getenv(EnvPathPrefix)
	if fc.PathPrefix != "" && (!strings.HasPrefix(fc.PathPrefix, "/") || strings.HasSuffix(fc.PathPrefix, "/")) {
		bad("%s: want /PREFIX without a trailing slash, got %q", EnvPathPrefix, fc.PathPrefix)
	}
	switch v := getenv(EnvTrustURLIAM); v {
	case "", "false":
	case "true":
		fc.TrustURLIAM = true
	default:
		bad("%s: want true or false, got %q", EnvTrustURLIAM, v)
	}
	fc.GroupsClaim = getenv(EnvGroupsClaim)
	if fc.GroupsClaim == "" {
		fc.GroupsClaim = "cognito:groups"
	}
	if v := getenv(EnvLogLevel); v != "" {
		if err := fc.LogLevel.UnmarshalText([]byte(v)); err != nil {
			bad("%s: %v", EnvLogLevel, err)
		}
	}
	if err := ic.Validate(); err != nil {
		errs = append(errs, err)
	}
	return fc, errors.Join(errs...)
}

// openKeySource opens the configured private key source: a file or variable for local runs,
// the SSM parameter otherwise.
func openKeySource(ctx context.Context, fc functionConfig) (keys.Source, error) {
	if fc.KeySource != "" {
		return keys.OpenSource(fc.KeySource)
	}
	return openSSM(ctx, fc.KeyParameter)
}

// newFunction builds the Lambda handler: the issuer, reading its key through a cache that
// refreshes every fc.Refresh, behind the API Gateway adapter. A nil logger discards.
func newFunction(ctx context.Context, fc functionConfig, src keys.Source, logger *slog.Logger) (*Adapter, error) {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	cached := keys.NewCachedSource(src, fc.Refresh, logger)
	// Read the key once now, at cold start, so the first request does not pay for SSM; a
	// failure here is retried by the first request that needs the key.
	warm, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if _, err := cached.Signer(warm); err != nil {
		logger.Error("lambda: reading the signing key failed; will retry", "err", err)
	}
	deps := issuer.Deps{
		Signer:         cached,
		Logger:         logger,
		Authenticators: []issuer.Authenticator{apiGatewayAuth{groupsClaim: fc.GroupsClaim}},
	}
	if fc.UploadBaseURL != "" {
		deps.Upload, deps.UploadURL, deps.Bucket = fc.UploadCreds, fc.UploadBaseURL, fc.Bucket
	}
	if fc.Bucket != "" {
		// GET /v1/objects lists the caller's own prefix with the function's role (the SDK's
		// default chain: the Lambda runtime's credentials, refreshed by the SDK).
		st, err := store.NewS3(store.S3Config{Region: fc.Region, Bucket: fc.Bucket, Logger: logger})
		if err != nil {
			return nil, fmt.Errorf("lambda: bucket %s: %w", fc.Bucket, err)
		}
		deps.Store, deps.Bucket = st, fc.Bucket
	}
	srv, err := issuer.New(fc.Issuer, deps)
	if err != nil {
		return nil, err
	}
	return &Adapter{
		Handler:               srv,
		Logger:                logger,
		FunctionURLPathPrefix: fc.PathPrefix,
		TrustFunctionURLIAM:   fc.TrustURLIAM,
	}, nil
}

// apiGatewayAuth is the issuer Authenticator for callers API Gateway already authenticated:
// it reads the Identity the Adapter put in the request context (from the invocation's
// requestContext), never a header, so a client cannot claim an identity by sending one.
// Self-hosted issuers never install it.
type apiGatewayAuth struct {
	groupsClaim string
}

// Authenticate implements issuer.Authenticator.
func (a apiGatewayAuth) Authenticate(r *http.Request) (issuer.Identity, bool, error) {
	id, ok := r.Context().Value(identityKey{}).(*Identity)
	if !ok || id == nil {
		return issuer.Identity{}, false, nil
	}
	if id.Subject == "" {
		return issuer.Identity{}, true, fmt.Errorf("lambda: %s identity has no usable subject", id.Source)
	}
	return issuer.Identity{
		Subject: id.Subject,
		Groups:  parseGroups(id.Claims[a.groupsClaim]),
		Method:  "apigateway_" + strings.ReplaceAll(id.Source, "-", "_"),
	}, true, nil
}

// parseGroups reads a groups claim as API Gateway renders it: "a,b" (REST, Cognito) or
// "[a b]" (HTTP API, lists flattened to a string).
func parseGroups(v string) []string {
	v = strings.TrimSpace(v)
	if strings.HasPrefix(v, "[") && strings.HasSuffix(v, "]") {
		v = v[1 : len(v)-1]
	}
	var out []string
	for _, g := range strings.FieldsFunc(v, func(r rune) bool { return r == ',' || r == ' ' }) {
		out = append(out, g)
	}
	return out
}
