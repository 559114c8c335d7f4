// Package issuer is signet's signing API: authenticated callers get CloudFront-compatible
// signed URLs and cookies for their own keys, and presigned SigV4 PUT URLs to upload new
// objects under their own prefix (DESIGN.md, "Demo users and the issuer API").
//
// [New] builds a [Server] (an http.Handler) from a [Config] — the `issuer:` section of
// signet.yaml, see [DefaultConfig] and [Config.Validate] — and [Deps]: the signing key
// ([keys.Source], cached with refresh), the object store and the store credentials used to
// presign uploads.
//
// Routes: POST /v1/urls, POST /v1/cookies, POST /v1/uploads, GET /v1/objects, GET
// /openapi.json (an OpenAPI 3.1 document, [OpenAPI]), GET /healthz, and in dev mode POST
// /v1/dev/login and /v1/dev/logout. Every error is {"error":{"code":…,"message":…}} with
// the status of its [Code]; SigV4 failures also carry API Gateway's error type in the
// x-amzn-ErrorType header (spec/sigv4.md §4.2).
//
// Callers are identified by [Authenticator]s, tried in order: static API keys (X-Api-Key,
// stored as SHA-256), SigV4 (service execute-api, header or presigned, 5 min skew),
// OIDC/JWT bearer tokens (RS256 and ES256 only, keys from a JWKS) and, in dev mode, an
// HMAC-signed session cookie. What they may sign is decided by [Rule]s: the first rule whose
// pattern (with {sub} and {group} placeholders) matches the key and whose action and groups
// fit wins, and caps the lifetime; wildcard resources, IP conditions and start times each
// need a rule that allows them.
//
// # Security
//
// Keys are checked for traversal and encoding tricks (percent-encoded forms, dot and empty
// segments, leading slash, backslash, control characters, [store.ValidateKey]) before any
// rule, so "users/alice/../bob/x" is a 400, never a match. Subjects and groups are
// substituted into patterns only when they are a single safe path segment. API keys and the
// session MAC are compared in constant time. Request bodies are strict JSON: at most 1 MiB,
// Content-Type application/json, no unknown, duplicate or case-variant fields. Each caller
// is rate limited (token bucket). The audit log line per grant holds who, which keys and
// until when; never a signature, policy or signed URL.
package issuer
