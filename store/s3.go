package store

import (
	"bytes"
	"context"
	"crypto/fips140"
	"crypto/md5"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"
)

// S3Config configures an S3 store. Each field says what its zero value means.
type S3Config struct {
	Endpoint  string // base URL of an S3-compatible endpoint; "" = AWS S3 for Region
	Region    string // "" = us-east-1
	Bucket    string // "" = every bucket the credentials reach; set = only this bucket is served
	PathStyle bool   // path-style addressing (/bucket/key), needed by most S3-compatible servers

	// Static credentials. When AccessKeyID is set these are the only credentials used (the
	// default chain, shared files and instance metadata are never consulted); when it is
	// empty the SDK's default chain is used.
	AccessKeyID, SecretAccessKey, SessionToken string

	PartSize   int64        // multipart part size for Put bodies of unknown size; 0 = 8 MiB (min 5 MiB)
	HTTPClient *http.Client // nil = a client with connect/header timeouts
	Logger     *slog.Logger // nil = discard
}

// S3 is a Store backed by Amazon S3 or an S3-compatible endpoint. It is safe for concurrent use.
type S3 struct {
	c        *s3.Client
	bucket   string
	partSize int64
	log      *slog.Logger
}

var (
	_ Store     = (*S3)(nil)
	_ Multipart = (*S3)(nil)
)

// NewS3 builds an S3 store. It makes no network call.
func NewS3(cfg S3Config) (*S3, error) {
	if fips140.Enforced() {
		return nil, ErrFIPSOnly
	}
	if cfg.Region == "" {
		cfg.Region = "us-east-1"
	}
	if cfg.PartSize == 0 {
		cfg.PartSize = 8 << 20
	}
	if cfg.PartSize < MinPartSize {
		return nil, fmt.Errorf("store: s3 part size %d below the 5 MiB minimum", cfg.PartSize)
	}
	if cfg.Bucket != "" {
		if err := ValidateBucketName(cfg.Bucket); err != nil {
			return nil, err
		}
	}
	// The SDK's buildable client carries the same timeouts and, unlike a plain *http.Client,
	// accepts a custom CA bundle (AWS_CA_BUNDLE) from the shared config.
	var hc aws.HTTPClient = awshttp.NewBuildableClient().
		WithDialerOptions(func(d *net.Dialer) { d.Timeout, d.KeepAlive = 10*time.Second, 30*time.Second }).
		WithTransportOptions(func(t *http.Transport) {
			t.MaxIdleConnsPerHost = 32
			t.IdleConnTimeout = 90 * time.Second
			t.TLSHandshakeTimeout = 10 * time.Second
			t.ResponseHeaderTimeout = 60 * time.Second
			t.ExpectContinueTimeout = time.Second
			t.DisableCompression = true
		})
	if cfg.HTTPClient != nil {
		hc = cfg.HTTPClient
	}
	var awsCfg aws.Config
	if cfg.AccessKeyID != "" {
		if cfg.SecretAccessKey == "" {
			return nil, errors.New("store: s3 access key id without secret access key")
		}
		awsCfg = aws.Config{
			Region:      cfg.Region,
			Credentials: credentials.NewStaticCredentialsProvider(cfg.AccessKeyID, cfg.SecretAccessKey, cfg.SessionToken),
			HTTPClient:  hc,
		}
	} else {
		var err error
		awsCfg, err = config.LoadDefaultConfig(context.Background(), config.WithRegion(cfg.Region), config.WithHTTPClient(hc))
		if err != nil {
			return nil, fmt.Errorf("store: s3 credentials: %w", err)
		}
	}
	c := s3.NewFromConfig(awsCfg, func(o *s3.Options) {
		if cfg.Endpoint != "" {
			o.BaseEndpoint = aws.String(cfg.Endpoint)
		}
		o.UsePathStyle = cfg.PathStyle
		// S3-compatible servers differ in their support of flexible checksums; Content-MD5
		// and the payload hash already protect the bytes.
		o.RequestChecksumCalculation = aws.RequestChecksumCalculationWhenRequired
		o.ResponseChecksumValidation = aws.ResponseChecksumValidationWhenRequired
		o.DisableLogOutputChecksumValidationSkipped = true
	})
	l := cfg.Logger
	if l == nil {
		l = slog.New(slog.DiscardHandler)
	}
	return &S3{c: c, bucket: cfg.Bucket, partSize: cfg.PartSize, log: l}, nil
}

// Client returns the underlying SDK client.
func (s *S3) Client() *s3.Client { return s.c }

func (s *S3) allowed(bucket string) error {
	if s.bucket != "" && bucket != s.bucket {
		return fmt.Errorf("%w: %s", ErrBucketNotFound, bucket)
	}
	return nil
}

// mapErr turns S3 error codes into this package's sentinels.
func mapErr(err error, what string) error {
	if err == nil {
		return nil
	}
	var ae smithy.APIError
	if errors.As(err, &ae) {
		switch ae.ErrorCode() {
		case "NoSuchKey":
			return fmt.Errorf("%w: %s", ErrNotFound, what)
		case "NotFound":
			if strings.Contains(what, "/") {
				return fmt.Errorf("%w: %s", ErrNotFound, what)
			}
			return fmt.Errorf("%w: %s", ErrBucketNotFound, what)
		case "NoSuchBucket":
			return fmt.Errorf("%w: %s", ErrBucketNotFound, what)
		case "BucketAlreadyOwnedByYou", "BucketAlreadyExists":
			return fmt.Errorf("%w: %s", ErrBucketExists, what)
		case "InvalidBucketName":
			return fmt.Errorf("%w: %s", ErrInvalidBucket, what)
		case "BadDigest", "InvalidDigest":
			return fmt.Errorf("%w: %s", ErrBadDigest, what)
		case "InvalidRange":
			return fmt.Errorf("%w: %s", ErrInvalidRange, what)
		case "NoSuchUpload":
			return fmt.Errorf("%w: %s", ErrNoSuchUpload, what)
		case "InvalidPart":
			return fmt.Errorf("%w: %s", ErrInvalidPart, what)
		case "InvalidPartOrder":
			return fmt.Errorf("%w: %s", ErrInvalidPartOrder, what)
		case "EntityTooSmall":
			return fmt.Errorf("%w: %s", ErrEntityTooSmall, what)
		case "BucketNotEmpty":
			return fmt.Errorf("%w: %s", ErrBucketNotEmpty, what)
		case "KeyTooLongError":
			return &KeyError{Reason: KeyTooLong}
		}
		return fmt.Errorf("store: s3 %s: %s", what, ae.ErrorCode())
	}
	var re *awshttp.ResponseError
	if errors.As(err, &re) && re.HTTPStatusCode() == http.StatusNotFound {
		return fmt.Errorf("%w: %s", ErrNotFound, what)
	}
	return fmt.Errorf("store: s3 %s: %w", what, err)
}

// ListBuckets implements Store.
func (s *S3) ListBuckets(ctx context.Context) ([]BucketInfo, error) {
	if s.bucket != "" {
		if err := s.HeadBucket(ctx, s.bucket); err != nil {
			return nil, err
		}
		return []BucketInfo{{Name: s.bucket}}, nil
	}
	out, err := s.c.ListBuckets(ctx, &s3.ListBucketsInput{})
	if err != nil {
		return nil, mapErr(err, "list buckets")
	}
	var res []BucketInfo
	for _, b := range out.Buckets {
		res = append(res, BucketInfo{Name: aws.ToString(b.Name), Created: aws.ToTime(b.CreationDate)})
	}
	return res, nil
}

// CreateBucket implements Store.
func (s *S3) CreateBucket(ctx context.Context, bucket string) error {
	if err := ValidateBucketName(bucket); err != nil {
		return err
	}
	if err := s.allowed(bucket); err != nil {
		return err
	}
	_, err := s.c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(bucket)})
	return mapErr(err, bucket)
}

// HeadBucket implements Store.
func (s *S3) HeadBucket(ctx context.Context, bucket string) error {
	if err := s.allowed(bucket); err != nil {
		return err
	}
	_, err := s.c.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String(bucket)})
	return mapErr(err, bucket)
}

// Head implements Store.
func (s *S3) Head(ctx context.Context, bucket, key string) (*ObjectInfo, error) {
	if err := checkKey(key); err != nil {
		return nil, err
	}
	if err := s.allowed(bucket); err != nil {
		return nil, err
	}
	out, err := s.c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	if err != nil {
		return nil, mapErr(err, bucket+"/"+key)
	}
	return &ObjectInfo{
		Bucket: bucket, Key: key, Size: aws.ToInt64(out.ContentLength), ETag: aws.ToString(out.ETag),
		ContentType: aws.ToString(out.ContentType), LastModified: aws.ToTime(out.LastModified), Metadata: out.Metadata,
	}, nil
}

// Get implements Store.
func (s *S3) Get(ctx context.Context, bucket, key string, rng *Range) (*ObjectInfo, io.ReadCloser, error) {
	if err := checkKey(key); err != nil {
		return nil, nil, err
	}
	if err := s.allowed(bucket); err != nil {
		return nil, nil, err
	}
	in := &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)}
	if rng != nil {
		in.Range = aws.String(fmt.Sprintf("bytes=%d-%d", rng.Start, rng.End))
	}
	out, err := s.c.GetObject(ctx, in)
	if err != nil {
		return nil, nil, mapErr(err, bucket+"/"+key)
	}
	size := aws.ToInt64(out.ContentLength)
	if cr := aws.ToString(out.ContentRange); cr != "" {
		// "bytes a-b/total": Size is the whole object's.
		if i := strings.LastIndexByte(cr, '/'); i >= 0 {
			fmt.Sscan(cr[i+1:], &size)
		}
	}
	return &ObjectInfo{
		Bucket: bucket, Key: key, Size: size, ETag: aws.ToString(out.ETag),
		ContentType: aws.ToString(out.ContentType), LastModified: aws.ToTime(out.LastModified), Metadata: out.Metadata,
	}, out.Body, nil
}

// Put implements Store. Bodies up to PartSize go in one PutObject; longer ones stream as a
// multipart upload of PartSize parts (memory: one part), aborted on any read error, so
// nothing becomes visible unless the whole body was read. ContentMD5 is checked by the server
// (single request) or here before completing (multipart).
func (s *S3) Put(ctx context.Context, bucket, key string, body io.Reader, opts PutOptions) (*ObjectInfo, error) {
	if err := checkKey(key); err != nil {
		return nil, err
	}
	if err := s.allowed(bucket); err != nil {
		return nil, err
	}
	if opts.ContentMD5 != nil && len(opts.ContentMD5) != md5.Size {
		return nil, fmt.Errorf("%w: Content-MD5 is not 16 bytes", ErrBadDigest)
	}
	if body == nil {
		body = bytes.NewReader(nil)
	}
	h := md5.New()
	tee := io.TeeReader(body, h)
	first := make([]byte, s.partSize)
	n, err := io.ReadFull(tee, first)
	if err != nil && err != io.EOF && err != io.ErrUnexpectedEOF {
		return nil, fmt.Errorf("store: upload aborted: %w", err)
	}
	if err == io.EOF || err == io.ErrUnexpectedEOF {
		in := &s3.PutObjectInput{
			Bucket: aws.String(bucket), Key: aws.String(key), Body: bytes.NewReader(first[:n]),
			ContentLength: aws.Int64(int64(n)), Metadata: opts.Metadata,
		}
		if opts.ContentType != "" {
			in.ContentType = aws.String(opts.ContentType)
		}
		sum := h.Sum(nil)
		if opts.ContentMD5 != nil && !bytes.Equal(sum, opts.ContentMD5) {
			return nil, ErrBadDigest
		}
		in.ContentMD5 = aws.String(base64.StdEncoding.EncodeToString(sum))
		if _, err := s.c.PutObject(ctx, in); err != nil {
			return nil, mapErr(err, bucket+"/"+key)
		}
		return s.Head(ctx, bucket, key)
	}
	// Multipart.
	id, err := s.CreateMultipartUpload(ctx, bucket, key, opts)
	if err != nil {
		return nil, err
	}
	abort := func(err error) (*ObjectInfo, error) {
		actx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
		defer cancel()
		if aerr := s.AbortMultipartUpload(actx, bucket, key, id); aerr != nil {
			s.log.Warn("store: s3 abort multipart upload", "bucket", bucket, "err", aerr)
		}
		return nil, err
	}
	var parts []CompletePart
	buf := first[:n]
	for num := 1; ; num++ {
		p, err := s.UploadPart(ctx, bucket, key, id, num, bytes.NewReader(buf), nil)
		if err != nil {
			return abort(err)
		}
		parts = append(parts, CompletePart{PartNumber: num, ETag: p.ETag})
		n, err := io.ReadFull(tee, first)
		if n == 0 && err == io.EOF {
			break
		}
		if err != nil && err != io.ErrUnexpectedEOF {
			return abort(fmt.Errorf("store: upload aborted: %w", err))
		}
		buf = first[:n]
	}
	if opts.ContentMD5 != nil && !bytes.Equal(h.Sum(nil), opts.ContentMD5) {
		return abort(ErrBadDigest)
	}
	return s.CompleteMultipartUpload(ctx, bucket, key, id, parts)
}

// Delete implements Store.
func (s *S3) Delete(ctx context.Context, bucket, key string) error {
	if err := checkKey(key); err != nil {
		return err
	}
	if err := s.allowed(bucket); err != nil {
		return err
	}
	_, err := s.c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	return mapErr(err, bucket+"/"+key)
}

// List implements Store. Continuation tokens are the server's.
func (s *S3) List(ctx context.Context, bucket string, opts ListOptions) (*ListResult, error) {
	if err := s.allowed(bucket); err != nil {
		return nil, err
	}
	max := opts.MaxKeys
	if max <= 0 || max > MaxListKeys {
		max = MaxListKeys
	}
	in := &s3.ListObjectsV2Input{Bucket: aws.String(bucket), MaxKeys: aws.Int32(int32(max))}
	if opts.Prefix != "" {
		in.Prefix = aws.String(opts.Prefix)
	}
	if opts.Delimiter != "" {
		in.Delimiter = aws.String(opts.Delimiter)
	}
	if opts.StartAfter != "" {
		in.StartAfter = aws.String(opts.StartAfter)
	}
	if opts.ContinuationToken != "" {
		in.ContinuationToken = aws.String(opts.ContinuationToken)
	}
	out, err := s.c.ListObjectsV2(ctx, in)
	if err != nil {
		return nil, mapErr(err, bucket)
	}
	res := &ListResult{IsTruncated: aws.ToBool(out.IsTruncated), NextContinuationToken: aws.ToString(out.NextContinuationToken)}
	for _, o := range out.Contents {
		res.Objects = append(res.Objects, ObjectInfo{
			Bucket: bucket, Key: aws.ToString(o.Key), Size: aws.ToInt64(o.Size), ETag: aws.ToString(o.ETag),
			LastModified: aws.ToTime(o.LastModified),
		})
	}
	for _, p := range out.CommonPrefixes {
		res.CommonPrefixes = append(res.CommonPrefixes, aws.ToString(p.Prefix))
	}
	return res, nil
}

// CreateMultipartUpload implements Multipart.
func (s *S3) CreateMultipartUpload(ctx context.Context, bucket, key string, opts PutOptions) (string, error) {
	if err := checkKey(key); err != nil {
		return "", err
	}
	if err := s.allowed(bucket); err != nil {
		return "", err
	}
	in := &s3.CreateMultipartUploadInput{Bucket: aws.String(bucket), Key: aws.String(key), Metadata: opts.Metadata}
	if opts.ContentType != "" {
		in.ContentType = aws.String(opts.ContentType)
	}
	out, err := s.c.CreateMultipartUpload(ctx, in)
	if err != nil {
		return "", mapErr(err, bucket+"/"+key)
	}
	return aws.ToString(out.UploadId), nil
}

// UploadPart implements Multipart. A body that is not an io.ReadSeeker is buffered in memory
// (the SDK needs to know the length over plain HTTP).
func (s *S3) UploadPart(ctx context.Context, bucket, key, uploadID string, partNumber int, body io.Reader, contentMD5 []byte) (*PartInfo, error) {
	if err := s.allowed(bucket); err != nil {
		return nil, err
	}
	rs, ok := body.(io.ReadSeeker)
	if !ok {
		b, err := io.ReadAll(io.LimitReader(body, 5<<30+1))
		if err != nil {
			return nil, fmt.Errorf("store: upload aborted: %w", err)
		}
		rs = bytes.NewReader(b)
	}
	size, err := rs.Seek(0, io.SeekEnd)
	if err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	if _, err := rs.Seek(0, io.SeekStart); err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	in := &s3.UploadPartInput{
		Bucket: aws.String(bucket), Key: aws.String(key), UploadId: aws.String(uploadID),
		PartNumber: aws.Int32(int32(partNumber)), Body: rs, ContentLength: aws.Int64(size),
	}
	if contentMD5 != nil {
		in.ContentMD5 = aws.String(base64.StdEncoding.EncodeToString(contentMD5))
	}
	out, err := s.c.UploadPart(ctx, in)
	if err != nil {
		return nil, mapErr(err, bucket+"/"+key)
	}
	return &PartInfo{PartNumber: partNumber, ETag: aws.ToString(out.ETag), Size: size, LastModified: time.Now().UTC()}, nil
}

// ListParts implements Multipart.
func (s *S3) ListParts(ctx context.Context, bucket, key, uploadID string) ([]PartInfo, error) {
	if err := s.allowed(bucket); err != nil {
		return nil, err
	}
	var res []PartInfo
	p := s3.NewListPartsPaginator(s.c, &s3.ListPartsInput{Bucket: aws.String(bucket), Key: aws.String(key), UploadId: aws.String(uploadID)})
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			return nil, mapErr(err, bucket+"/"+key)
		}
		for _, pt := range out.Parts {
			res = append(res, PartInfo{PartNumber: int(aws.ToInt32(pt.PartNumber)), ETag: aws.ToString(pt.ETag), Size: aws.ToInt64(pt.Size), LastModified: aws.ToTime(pt.LastModified)})
		}
	}
	return res, nil
}

// CompleteMultipartUpload implements Multipart.
func (s *S3) CompleteMultipartUpload(ctx context.Context, bucket, key, uploadID string, parts []CompletePart) (*ObjectInfo, error) {
	if err := s.allowed(bucket); err != nil {
		return nil, err
	}
	var cp []types.CompletedPart
	for _, p := range parts {
		etag := p.ETag
		if !strings.HasPrefix(etag, `"`) {
			etag = `"` + etag + `"`
		}
		cp = append(cp, types.CompletedPart{PartNumber: aws.Int32(int32(p.PartNumber)), ETag: aws.String(etag)})
	}
	_, err := s.c.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{
		Bucket: aws.String(bucket), Key: aws.String(key), UploadId: aws.String(uploadID),
		MultipartUpload: &types.CompletedMultipartUpload{Parts: cp},
	})
	if err != nil {
		return nil, mapErr(err, bucket+"/"+key)
	}
	return s.Head(ctx, bucket, key)
}

// AbortMultipartUpload implements Multipart.
func (s *S3) AbortMultipartUpload(ctx context.Context, bucket, key, uploadID string) error {
	if err := s.allowed(bucket); err != nil {
		return err
	}
	_, err := s.c.AbortMultipartUpload(ctx, &s3.AbortMultipartUploadInput{Bucket: aws.String(bucket), Key: aws.String(key), UploadId: aws.String(uploadID)})
	return mapErr(err, bucket+"/"+key)
}
