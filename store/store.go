// Package store is signet's object store: the [Store] interface the issuer, the edge and the
// S3 API ([github.com/signet-project/signet/store/s3api]) share, and two implementations.
//
//   - [Disk] ([OpenDisk]) keeps objects on a local disk: a bbolt index (bucket → key → size,
//     ETag, content type, metadata, blob id, last-modified) and the bytes as blobs named by
//     random ids, so S3 keys never touch the filesystem. Writes are atomic and crash-safe: a
//     PUT writes a temp blob (fsync, rename, directory fsync) while hashing it, commits the
//     index entry in one transaction, then removes the old blob; a crash leaves at most an
//     orphan blob, swept when the store is next opened. It also implements [Multipart].
//   - [S3] ([NewS3]) talks to Amazon S3 or an S3-compatible endpoint (MinIO, versitygw,
//     signet's own s3api) through aws-sdk-go-v2, with static credentials.
//
// Listing follows S3 exactly: keys in UTF-8 byte order, prefix, delimiter (common prefixes),
// start-after, opaque continuation tokens and max-keys (1000 at most).
//
// [ValidateKey] holds the stricter key rules the issuer and the edge apply to keys that come
// from users (no dot or empty segments, no leading slash, no backslash, no percent-encoded
// tricks); the stores themselves accept every S3 key of at most 1024 bytes of UTF-8 without
// control characters.
//
// # Security
//
// ETags and Content-MD5 are MD5 by S3's definition. MD5 is not an approved FIPS 140-3
// algorithm and panics under GODEBUG=fips140=only, so [OpenDisk] refuses to open in that
// mode with [ErrFIPSOnly].
package store

import (
	"context"
	"errors"
	"io"
	"time"
)

// ObjectInfo describes a stored object.
type ObjectInfo struct {
	Bucket, Key  string
	Size         int64
	ETag         string // quoted, like S3: "\"<md5 hex>\"" or "\"<hex>-N\"" for multipart uploads
	ContentType  string
	LastModified time.Time
	Metadata     map[string]string // user metadata (x-amz-meta-*), names lower case without the prefix
}

// Range is an inclusive byte range, already resolved against the object size
// (0 <= Start <= End < Size).
type Range struct{ Start, End int64 }

// PutOptions are the optional attributes of a Put.
type PutOptions struct {
	ContentType string            // "" = application/octet-stream (S3's default)
	Metadata    map[string]string // user metadata; nil = none
	ContentMD5  []byte            // the 16-byte MD5 the body must have; nil = unchecked
}

// ListOptions select what List returns. Zero values mean: no prefix, no delimiter, from the
// first key, 1000 keys.
type ListOptions struct {
	Prefix, Delimiter string
	StartAfter        string // list keys strictly after this one
	ContinuationToken string // NextContinuationToken of a previous page
	MaxKeys           int    // 0 = 1000; capped at 1000
}

// ListResult is one page of a listing. Objects and CommonPrefixes are each sorted; together
// they hold at most MaxKeys entries.
type ListResult struct {
	Objects               []ObjectInfo
	CommonPrefixes        []string
	IsTruncated           bool
	NextContinuationToken string // set when IsTruncated
}

// BucketInfo describes a bucket.
type BucketInfo struct {
	Name    string
	Created time.Time
}

// MaxListKeys is the largest page List returns (S3's limit).
const MaxListKeys = 1000

// MaxKeyBytes is the longest key S3 allows.
const MaxKeyBytes = 1024

// Sentinel errors; implementations wrap them with detail (use errors.Is).
var (
	ErrNotFound         = errors.New("store: no such key")
	ErrBucketNotFound   = errors.New("store: no such bucket")
	ErrBucketExists     = errors.New("store: bucket already exists")
	ErrBucketNotEmpty   = errors.New("store: bucket not empty")
	ErrInvalidKey       = errors.New("store: invalid key")
	ErrInvalidBucket    = errors.New("store: invalid bucket name")
	ErrBadDigest        = errors.New("store: content MD5 mismatch")
	ErrInvalidToken     = errors.New("store: invalid continuation token")
	ErrNoSuchUpload     = errors.New("store: no such multipart upload")
	ErrInvalidPart      = errors.New("store: invalid part")
	ErrInvalidPartOrder = errors.New("store: parts not in ascending order")
	ErrEntityTooSmall   = errors.New("store: part smaller than the 5 MiB minimum")
	ErrFIPSOnly         = errors.New("store: MD5 (S3 ETags and Content-MD5) is unavailable under GODEBUG=fips140=only; run the store without fips140=only")
)

// Store is an S3-like object store. Implementations are safe for concurrent use.
type Store interface {
	// ListBuckets returns every bucket, sorted by name.
	ListBuckets(ctx context.Context) ([]BucketInfo, error)
	// CreateBucket creates a bucket; ErrBucketExists if it exists, ErrInvalidBucket for a bad name.
	CreateBucket(ctx context.Context, bucket string) error
	// HeadBucket returns nil if the bucket exists, else ErrBucketNotFound.
	HeadBucket(ctx context.Context, bucket string) error
	// Head returns an object's attributes (ErrNotFound, ErrBucketNotFound).
	Head(ctx context.Context, bucket, key string) (*ObjectInfo, error)
	// Get returns an object's attributes and its bytes, all of them or rng (nil = whole object).
	// The caller closes the reader.
	Get(ctx context.Context, bucket, key string, rng *Range) (*ObjectInfo, io.ReadCloser, error)
	// Put streams body to durable storage; a read error from body (e.g. a sigv4 verification failure) aborts:
	// nothing becomes visible and the old object stays.
	Put(ctx context.Context, bucket, key string, body io.Reader, opts PutOptions) (*ObjectInfo, error)
	// Delete removes an object; deleting a missing key is not an error (as S3).
	Delete(ctx context.Context, bucket, key string) error
	// List returns one page of keys in S3 order.
	List(ctx context.Context, bucket string, opts ListOptions) (*ListResult, error)
}

// PartInfo describes an uploaded part of a multipart upload.
type PartInfo struct {
	PartNumber   int
	ETag         string // quoted MD5 hex of the part
	Size         int64
	LastModified time.Time
}

// CompletePart names one part of a CompleteMultipartUpload request.
type CompletePart struct {
	PartNumber int
	ETag       string // as the client sent it; quotes optional
}

// MinPartSize is the smallest part S3 accepts, except for the last part.
const MinPartSize = 5 << 20

// MaxPartNumber is the highest part number S3 accepts.
const MaxPartNumber = 10000

// Multipart is implemented by stores that support S3 multipart uploads ([Disk], [S3]).
type Multipart interface {
	// CreateMultipartUpload starts an upload and returns its id.
	CreateMultipartUpload(ctx context.Context, bucket, key string, opts PutOptions) (uploadID string, err error)
	// UploadPart stores one part (1..10000), replacing an earlier part with that number. As
	// with Put, a read error from body aborts and the earlier part stays. contentMD5 nil = unchecked.
	UploadPart(ctx context.Context, bucket, key, uploadID string, partNumber int, body io.Reader, contentMD5 []byte) (*PartInfo, error)
	// ListParts returns the uploaded parts in part-number order.
	ListParts(ctx context.Context, bucket, key, uploadID string) ([]PartInfo, error)
	// CompleteMultipartUpload concatenates the named parts (ascending, each but the last at
	// least MinPartSize) into the object, atomically, and ends the upload.
	CompleteMultipartUpload(ctx context.Context, bucket, key, uploadID string, parts []CompletePart) (*ObjectInfo, error)
	// AbortMultipartUpload ends an upload and discards its parts.
	AbortMultipartUpload(ctx context.Context, bucket, key, uploadID string) error
}
