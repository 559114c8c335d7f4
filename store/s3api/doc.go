// Package s3api serves a [store.Store] over the S3 REST API, path-style (/bucket/key), for
// the clients people already have: the aws CLI, boto3, aws-sdk-go-v2, and browsers with a
// presigned PUT. [NewHandler] returns the http.Handler; [Config] is the `store:` section of
// signet.yaml.
//
// Operations: ListBuckets, CreateBucket, HeadBucket, DeleteBucket, GetBucketLocation,
// ListObjects and ListObjectsV2 (prefix, delimiter, start-after/marker, continuation,
// max-keys, encoding-type=url), GetObject and HeadObject (Range → 206, If-Match /
// If-Unmodified-Since → 412, If-None-Match / If-Modified-Since → 304, response-* overrides),
// PutObject (Content-MD5, x-amz-checksum-*, aws-chunked signed and unsigned-trailer bodies),
// DeleteObject, DeleteObjects, and multipart uploads (create, upload part, list parts,
// complete, abort). Anything else answers S3's NotImplemented or MethodNotAllowed.
//
// # Security
//
// Every request but a CORS preflight must carry a SigV4 signature (Authorization header or
// presigned query) that [sigv4.Verifier] accepts for one of the configured credentials; the
// verification happens before anything is read from the body (so a refused
// `Expect: 100-continue` upload never sends it) or the store. Upload bodies are verified
// while they stream into a temp blob (payload hash, chunk signatures, trailers, checksums,
// Content-MD5) and are committed only on a clean end, so a bad upload leaves nothing behind.
// XML bodies are limited to [MaxXMLBody], metadata to 2 KiB, object bodies to
// HandlerConfig.MaxObjectSize. Logs carry the request ID, operation, bucket, key, status,
// reason and access key ID, never a signature, a secret or the raw query.
// Errors are S3's XML documents (spec/sigv4.md §4.1) with S3's codes.
package s3api
