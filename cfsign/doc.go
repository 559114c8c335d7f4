// Package cfsign signs and verifies CloudFront signed URLs and signed cookies, byte-compatible
// with Amazon CloudFront, the aws CLI and the AWS SDKs.
//
// The wire format is specified in spec/cloudfront.md (CloudFront Developer Guide, "Serving
// private content with signed URLs and signed cookies"). Entry points:
//
//   - [NewSigner], [Signer.SignURL], [Signer.SignCookies]: canned and custom policies with
//     RSA-SHA1, RSA-SHA256 and ECDSA P-256 (SHA-1 or SHA-256), through any crypto.Signer.
//   - [NewVerifier], [Verifier.Verify], [Verifier.VerifyURL]: CloudFront's admission checks in
//     CloudFront's order, returning a [Grant] or a [*RejectError] with a [Reason].
//   - [Verifier.Explain]: every check with ✓/✗, for `signet explain`.
//   - [ParsePolicy], [Policy.Marshal], [CannedPolicy]: policy bytes.
//   - [ErrorBody], [WriteError]: CloudFront's literal 403 bodies.
//
// # Security
//
// Verification inputs are explicit: trusted key groups, the hash algorithms each key accepts,
// the clock (Viewer.Now), skew and the client IP. Hash-Algorithm in a request can only choose
// from a key's list, and only that digest is computed, so it cannot downgrade a key. A verifier
// without keys cannot be built; a policy with an IP condition is refused when the client IP is
// unknown. Anything ambiguous fails closed: duplicated signing parameters, names that
// percent-decode to a signing name, dot segments, trailing JSON, duplicate or case-variant JSON
// keys (received policies are walked token by token, never given to json.Unmarshal).
//
// Policy JSON is built by concatenation, never with encoding/json (which escapes '&' and broke
// AWS SDK URLs), so signed bytes are identical to the aws CLI's. The path and query are never
// decoded, re-encoded or reordered: the verifier compares the raw bytes the viewer sent.
//
// Signature checks use crypto/rsa (PKCS #1 v1.5) and crypto/ecdsa (ASN.1 DER), which are
// constant-time in the private key; public keys, policies and signatures are treated as public.
// A bounded cache of verified signatures, keyed on every signed byte, lets a request that
// reuses a signature skip only the signature check. A second, smaller memo answers a
// byte-identical repeat (same scheme, Host, target and Cookie header) without parsing it again,
// and still checks the time and client-address conditions on every hit. Entries never outlive
// the policy's DateLessThan, and neither can change an answer: a miss or a failed condition
// takes the full path.
//
// In FIPS 140 mode (GODEBUG=fips140=on or only) SHA-1 is refused with an error naming the fix
// (--hash-algorithm SHA256) before crypto/sha1 is touched. IPv6 AWS:SourceIp CIDRs are a signet
// extension that CloudFront ignores; both sides refuse them unless enabled.
//
// Error messages never contain signatures, policies, private keys or signed URLs.
// The package imports only the standard library (and signet's keys package).
package cfsign
