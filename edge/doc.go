// Package edge is signet's CloudFront-compatible edge: an http.Handler that admits viewers
// holding CloudFront signed URLs or signed cookies for trusted key groups, serves objects from
// an in-memory cache, and fetches misses from private origins with SigV4-signed requests, as
// CloudFront's origin access control does.
//
// Entry points: [DefaultConfig] and [Config.Validate] for the `edge:` section of signet.yaml,
// [New] to build a [Server] from a configuration and resolved [Keys], [Server.ServeHTTP] (or
// [Server.Serve]) for the viewer listener, [Server.AdminHandler] for CloudFront's invalidation
// API, and [Server.ReloadKeys] for key rotation.
//
// The wire behaviour follows spec/cloudfront.md §8–§10 and spec/sigv4.md §5:
//
//   - Admission (§8.1): URL and header limits, an origin-form target, the Host header, the
//     first matching behaviour (CloudFront path patterns, `*` and `?`, against the raw path),
//     its allowed methods, no dot segments, then cfsign verification of the raw request
//     target — before any cache lookup. Rejections are 403 with CloudFront's literal bodies;
//     the typed reason goes only to the access log and the metrics.
//   - The five signing parameters and the five CloudFront-* cookies never reach the cache key
//     or the origin. S3 origins get no viewer query unless listed in forward_query.
//   - Cache: otter, byte-weighted, per-entry freshness from Cache-Control/Expires bounded by the
//     behaviour's TTLs, concurrent misses coalesced into one origin fetch, stale entries
//     revalidated with conditional requests, objects over max_object_bytes streamed uncached.
//
// # Security
//
// Client addresses come from the socket peer; X-Forwarded-For and X-Forwarded-Proto are
// believed only from configured trusted proxies. Verification inputs (scheme, host, raw
// target, cookies, client IP, time) are explicit. A behaviour with key groups never serves
// without a verified grant, and a key id, once trusted, cannot be remapped by a reload. The
// access log never holds cookies, Authorization, signing parameters or the raw request target:
// a signed URL is a bearer token. Origin requests are never redirected, use no proxy from the
// environment, and time out.
package edge
