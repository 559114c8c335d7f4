// Package sigv4 signs and verifies AWS Signature Version 4 requests, the way S3, API Gateway
// and Lambda function URLs authenticate them. It imports only the standard library.
//
// The normative description is the project's spec/sigv4.md, built on AWS's "Create a signed
// AWS API request" and S3's "Authenticating Requests (AWS Signature Version 4)" pages:
// https://docs.aws.amazon.com/IAM/latest/UserGuide/create-signed-request.html and
// https://docs.aws.amazon.com/AmazonS3/latest/API/sig-v4-authenticating-requests.html.
//
// Signing: [NewSigner] builds a [Signer]; [Signer.Sign] adds the Authorization header,
// [Signer.Presign] returns a presigned URL with its parameters in botocore's order, and
// [Signer.SignStreaming] frames an upload as signed aws-chunked 64 KiB chunks. Two profiles
// exist: S3 (single-encoded, unnormalised paths, UNSIGNED-PAYLOAD allowed) and the generic
// one used by API Gateway and Lambda (double-encoded, normalised paths, body hash).
//
// [ParseAuthorization] and [ParsePresignedQuery] are the strict parsers behind verification,
// exported for tools such as `signet explain`.
//
// Verifying: [NewVerifier] builds a [Verifier] over a [CredentialStore];
// [Verifier.Verify] checks the header or presigned form in the order of spec/sigv4.md §2.2
// and returns a [Result] whose Body verifies the payload while it is streamed: hex SHA-256,
// aws-chunked chunk signatures (STREAMING-AWS4-HMAC-SHA256-PAYLOAD[-TRAILER]), unsigned
// trailers (STREAMING-UNSIGNED-PAYLOAD-TRAILER), x-amz-checksum-* (CRC32, CRC32C,
// CRC64NVME, SHA1, SHA256) and Content-MD5. Every failure is an [*Error] carrying the S3 code,
// status and message, a typed [Reason] for logs, and an API Gateway form
// ([Error.APIGateway]). [WriteS3Error] renders the S3 XML error document.
//
// # Security
//
// Signatures, chunk signatures, trailer signatures and checksums are compared with
// [crypto/hmac.Equal]; session tokens with [crypto/subtle.ConstantTimeCompare]. Access key IDs,
// credential scopes, dates and signed header names are treated as public. The verifier
// refuses every x-amz-* header that is not signed (so a host-only presigned PUT cannot add
// x-amz-acl or x-amz-copy-source), requires host to be signed, bounds every attacker-driven
// size (Authorization 4 KiB, 64 signed headers, query 16 KiB / 256 items, aws-chunked lines
// 4 KiB and chunks 16 MiB), and never hands out bytes of an aws-chunked chunk before that
// chunk's signature verified. For the S3 profile a hex or UNSIGNED-PAYLOAD body is streamed:
// its bytes reach the caller before the final check, and a mismatch surfaces as the
// error of the last Read instead of io.EOF, so callers must commit only on a clean io.EOF.
// Other profiles (API Gateway, Lambda) sign the body hash itself: unless a signed
// x-amz-content-sha256 declares it, the body is read (bounded by MaxBodyBuffer) after the
// scope, time, key and header checks and before the signature check.
// The clock is an argument, read once by the caller. Derived signing keys live in a bounded
// in-memory cache keyed by access key, secret, date, region and service; neither keys, secrets
// nor signatures appear in error messages, which also never carry the canonical request
// (spec/sigv4.md §8 D10).
package sigv4
