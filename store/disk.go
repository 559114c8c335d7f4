package store

import (
	"bytes"
	"context"
	"crypto/fips140"
	"crypto/md5"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"
)

// DiskOptions tune a Disk store. The zero value (or nil) is a good default.
type DiskOptions struct {
	Logger      *slog.Logger     // nil = discard
	Clock       func() time.Time // nil = time.Now; used for LastModified and bucket creation times
	LockTimeout time.Duration    // how long OpenDisk waits for another process's lock on the index; 0 = 5s
	// StaleUploadAge is the age past which OpenDisk aborts multipart uploads nobody completed
	// or aborted (their parts hold disk space); 0 = 7 days, < 0 = never.
	StaleUploadAge time.Duration
}

// Disk is a Store on a local filesystem: a bbolt index (root/index.db) and blobs named by
// random ids (root/blobs/), written through root/tmp/ on the same filesystem. It is safe for
// concurrent use; one process at a time may open a root (the index is locked).
type Disk struct {
	db              *bolt.DB
	root            string
	blobDir, tmpDir string
	log             *slog.Logger
	now             func() time.Time
}

var (
	bktBuckets = []byte("buckets")
	bktObjects = []byte("objects")
	bktUploads = []byte("uploads")
)

// objRec is the index entry of an object.
type objRec struct {
	Size        int64             `json:"size"`
	ETag        string            `json:"etag"`
	ContentType string            `json:"type,omitempty"`
	Meta        map[string]string `json:"meta,omitempty"`
	Blob        string            `json:"blob"`
	Modified    int64             `json:"mtime"` // Unix nanoseconds
}

type bucketRec struct {
	Created int64 `json:"created"`
}

type partRec struct {
	ETag     string `json:"etag"`
	Size     int64  `json:"size"`
	Blob     string `json:"blob"`
	Modified int64  `json:"mtime"`
}

type uploadRec struct {
	Bucket      string            `json:"bucket"`
	Key         string            `json:"key"`
	ContentType string            `json:"type,omitempty"`
	Meta        map[string]string `json:"meta,omitempty"`
	Initiated   int64             `json:"initiated"`
	Parts       map[int]partRec   `json:"parts,omitempty"`
}

// OpenDisk opens (creating if needed) the store under root. It removes temp files and blobs
// no index entry refers to, which is all a crash can leave behind. It refuses to open under
// GODEBUG=fips140=only (ErrFIPSOnly), where MD5 panics.
func OpenDisk(root string, opts *DiskOptions) (*Disk, error) {
	if fips140.Enforced() {
		return nil, ErrFIPSOnly
	}
	if opts == nil {
		opts = &DiskOptions{}
	}
	if root == "" {
		return nil, errors.New("store: disk root is empty")
	}
	d := &Disk{
		root:    root,
		blobDir: filepath.Join(root, "blobs"),
		tmpDir:  filepath.Join(root, "tmp"),
		log:     opts.Logger,
		now:     opts.Clock,
	}
	if d.log == nil {
		d.log = slog.New(slog.DiscardHandler)
	}
	if d.now == nil {
		d.now = time.Now
	}
	for _, dir := range []string{root, d.blobDir, d.tmpDir} {
		if err := os.MkdirAll(dir, 0o750); err != nil {
			return nil, fmt.Errorf("store: %w", err)
		}
	}
	// Blobs fan out over 256 directories by the first two hex digits of their id, so no
	// directory grows huge; all are created (and made durable) up front.
	for i := range 256 {
		if err := os.MkdirAll(filepath.Join(d.blobDir, fmt.Sprintf("%02x", i)), 0o750); err != nil {
			return nil, fmt.Errorf("store: %w", err)
		}
	}
	if err := syncDir(d.blobDir); err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	timeout := opts.LockTimeout
	if timeout <= 0 {
		timeout = 5 * time.Second
	}
	db, err := bolt.Open(filepath.Join(root, "index.db"), 0o600, &bolt.Options{Timeout: timeout})
	if err != nil {
		if errors.Is(err, bolt.ErrTimeout) {
			return nil, fmt.Errorf("store: index %s is locked by another process", filepath.Join(root, "index.db"))
		}
		return nil, fmt.Errorf("store: open index: %w", err)
	}
	d.db = db
	if err := db.Update(func(tx *bolt.Tx) error {
		for _, b := range [][]byte{bktBuckets, bktObjects, bktUploads} {
			if _, err := tx.CreateBucketIfNotExists(b); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		db.Close()
		return nil, fmt.Errorf("store: init index: %w", err)
	}
	stale := opts.StaleUploadAge
	if stale == 0 {
		stale = 7 * 24 * time.Hour
	}
	if stale > 0 {
		if err := d.abortStaleUploads(d.now().Add(-stale)); err != nil {
			db.Close()
			return nil, err
		}
	}
	if err := d.sweep(); err != nil {
		db.Close()
		return nil, err
	}
	return d, nil
}

// Close closes the index.
func (d *Disk) Close() error { return d.db.Close() }

// abortStaleUploads drops multipart uploads initiated before cutoff; their part blobs become
// unreferenced and the sweep that follows removes them.
func (d *Disk) abortStaleUploads(cutoff time.Time) error {
	n := 0
	err := d.db.Update(func(tx *bolt.Tx) error {
		ups := tx.Bucket(bktUploads)
		var ids [][]byte
		if err := ups.ForEach(func(k, v []byte) error {
			var u uploadRec
			if json.Unmarshal(v, &u) == nil && time.Unix(0, u.Initiated).Before(cutoff) {
				ids = append(ids, append([]byte(nil), k...))
			}
			return nil
		}); err != nil {
			return err
		}
		for _, id := range ids {
			if err := ups.Delete(id); err != nil {
				return err
			}
		}
		n = len(ids)
		return nil
	})
	if err != nil {
		return fmt.Errorf("store: abort stale uploads: %w", err)
	}
	if n > 0 {
		d.log.Info("store: aborted stale multipart uploads", "count", n)
	}
	return nil
}

// sweep removes temp files and unreferenced blobs (what a crash leaves behind).
func (d *Disk) sweep() error {
	tmps, err := os.ReadDir(d.tmpDir)
	if err != nil {
		return fmt.Errorf("store: sweep: %w", err)
	}
	for _, e := range tmps {
		_ = os.RemoveAll(filepath.Join(d.tmpDir, e.Name()))
	}
	used := map[string]bool{}
	err = d.db.View(func(tx *bolt.Tx) error {
		if err := tx.Bucket(bktObjects).ForEachBucket(func(name []byte) error {
			return tx.Bucket(bktObjects).Bucket(name).ForEach(func(_, v []byte) error {
				var r objRec
				if err := json.Unmarshal(v, &r); err != nil {
					return err
				}
				used[r.Blob] = true
				return nil
			})
		}); err != nil {
			return err
		}
		return tx.Bucket(bktUploads).ForEach(func(_, v []byte) error {
			var u uploadRec
			if err := json.Unmarshal(v, &u); err != nil {
				return err
			}
			for _, p := range u.Parts {
				used[p.Blob] = true
			}
			return nil
		})
	})
	if err != nil {
		return fmt.Errorf("store: sweep: read index: %w", err)
	}
	removed := 0
	for i := range 256 {
		dir := filepath.Join(d.blobDir, fmt.Sprintf("%02x", i))
		blobs, err := os.ReadDir(dir)
		if err != nil {
			return fmt.Errorf("store: sweep: %w", err)
		}
		for _, e := range blobs {
			if !used[e.Name()] {
				if err := os.Remove(filepath.Join(dir, e.Name())); err == nil {
					removed++
				}
			}
		}
	}
	if removed > 0 || len(tmps) > 0 {
		d.log.Info("store: swept leftovers of an interrupted write", "orphan_blobs", removed, "temp_files", len(tmps))
	}
	return nil
}

func newID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// ctxReader fails reads once ctx is done, so a cancelled request aborts its upload.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}

const copyBufSize = 1 << 20

// writeBlob streams body into a new blob: temp file, MD5 while writing, fsync, rename, fsync
// of the blob directory. Any read error (or a Content-MD5 mismatch) removes the temp file.
func (d *Disk) writeBlob(ctx context.Context, body io.Reader, wantMD5 []byte) (id string, size int64, sum []byte, err error) {
	id = newID()
	tmp := filepath.Join(d.tmpDir, id)
	f, err := os.OpenFile(tmp, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return "", 0, nil, fmt.Errorf("store: %w", err)
	}
	fail := func(err error) (string, int64, []byte, error) {
		f.Close()
		os.Remove(tmp)
		return "", 0, nil, err
	}
	h := md5.New()
	buf := make([]byte, copyBufSize)
	if body == nil {
		body = bytes.NewReader(nil)
	}
	size, err = io.CopyBuffer(io.MultiWriter(f, h), ctxReader{ctx, body}, buf)
	if err != nil {
		return fail(fmt.Errorf("store: upload aborted: %w", err))
	}
	sum = h.Sum(nil)
	if wantMD5 != nil && !bytes.Equal(sum, wantMD5) {
		return fail(ErrBadDigest)
	}
	if err := f.Sync(); err != nil {
		return fail(fmt.Errorf("store: %w", err))
	}
	if err := f.Close(); err != nil {
		os.Remove(tmp)
		return "", 0, nil, fmt.Errorf("store: %w", err)
	}
	if err := os.Rename(tmp, d.blobPath(id)); err != nil {
		os.Remove(tmp)
		return "", 0, nil, fmt.Errorf("store: %w", err)
	}
	if err := syncDir(filepath.Dir(d.blobPath(id))); err != nil {
		d.removeBlob(id)
		return "", 0, nil, fmt.Errorf("store: %w", err)
	}
	return id, size, sum, nil
}

// blobPath is where blob id lives: blobs/<first two hex digits>/<id>. Ids come from newID
// (32 hex digits) or the index, never from a request.
func (d *Disk) blobPath(id string) string {
	if len(id) < 2 {
		return filepath.Join(d.blobDir, "00", id)
	}
	return filepath.Join(d.blobDir, id[:2], id)
}

func syncDir(dir string) error {
	f, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer f.Close()
	return f.Sync()
}

func (d *Disk) removeBlob(id string) {
	if id == "" {
		return
	}
	if err := os.Remove(d.blobPath(id)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		d.log.Warn("store: remove blob", "blob", id, "err", err)
	}
}

func (d *Disk) ms() int64 { return d.now().UTC().Truncate(time.Millisecond).UnixNano() }

func (r *objRec) info(bucket, key string) *ObjectInfo {
	ct := r.ContentType
	if ct == "" {
		ct = "application/octet-stream"
	}
	return &ObjectInfo{
		Bucket: bucket, Key: key, Size: r.Size, ETag: r.ETag, ContentType: ct,
		LastModified: time.Unix(0, r.Modified).UTC(), Metadata: r.Meta,
	}
}

// objects returns the object bucket of bucket, or ErrBucketNotFound.
func objects(tx *bolt.Tx, bucket string) (*bolt.Bucket, error) {
	b := tx.Bucket(bktObjects).Bucket([]byte(bucket))
	if b == nil {
		return nil, fmt.Errorf("%w: %s", ErrBucketNotFound, bucket)
	}
	return b, nil
}

// ListBuckets implements Store.
func (d *Disk) ListBuckets(ctx context.Context) ([]BucketInfo, error) {
	var out []BucketInfo
	err := d.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bktBuckets).ForEach(func(k, v []byte) error {
			var r bucketRec
			if err := json.Unmarshal(v, &r); err != nil {
				return err
			}
			out = append(out, BucketInfo{Name: string(k), Created: time.Unix(0, r.Created).UTC()})
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	return out, nil
}

// CreateBucket implements Store.
func (d *Disk) CreateBucket(ctx context.Context, bucket string) error {
	if err := ValidateBucketName(bucket); err != nil {
		return err
	}
	rec, _ := json.Marshal(bucketRec{Created: d.ms()})
	return d.db.Update(func(tx *bolt.Tx) error {
		if tx.Bucket(bktBuckets).Get([]byte(bucket)) != nil {
			return fmt.Errorf("%w: %s", ErrBucketExists, bucket)
		}
		if err := tx.Bucket(bktBuckets).Put([]byte(bucket), rec); err != nil {
			return err
		}
		_, err := tx.Bucket(bktObjects).CreateBucketIfNotExists([]byte(bucket))
		return err
	})
}

// HeadBucket implements Store.
func (d *Disk) HeadBucket(ctx context.Context, bucket string) error {
	return d.db.View(func(tx *bolt.Tx) error {
		_, err := objects(tx, bucket)
		return err
	})
}

// DeleteBucket removes an empty bucket (ErrBucketNotEmpty otherwise) and aborts its
// multipart uploads.
func (d *Disk) DeleteBucket(ctx context.Context, bucket string) error {
	var blobs []string
	err := d.db.Update(func(tx *bolt.Tx) error {
		b, err := objects(tx, bucket)
		if err != nil {
			return err
		}
		if k, _ := b.Cursor().First(); k != nil {
			return fmt.Errorf("%w: %s", ErrBucketNotEmpty, bucket)
		}
		ups := tx.Bucket(bktUploads)
		var ids [][]byte
		if err := ups.ForEach(func(k, v []byte) error {
			var u uploadRec
			if json.Unmarshal(v, &u) == nil && u.Bucket == bucket {
				ids = append(ids, append([]byte(nil), k...))
				for _, p := range u.Parts {
					blobs = append(blobs, p.Blob)
				}
			}
			return nil
		}); err != nil {
			return err
		}
		for _, id := range ids {
			if err := ups.Delete(id); err != nil {
				return err
			}
		}
		if err := tx.Bucket(bktObjects).DeleteBucket([]byte(bucket)); err != nil {
			return err
		}
		return tx.Bucket(bktBuckets).Delete([]byte(bucket))
	})
	if err != nil {
		return err
	}
	for _, id := range blobs {
		d.removeBlob(id)
	}
	return nil
}

func (d *Disk) lookup(bucket, key string) (*objRec, error) {
	var rec objRec
	err := d.db.View(func(tx *bolt.Tx) error {
		b, err := objects(tx, bucket)
		if err != nil {
			return err
		}
		v := b.Get([]byte(key))
		if v == nil {
			return ErrNotFound
		}
		return json.Unmarshal(v, &rec)
	})
	if err != nil {
		return nil, err
	}
	return &rec, nil
}

// Head implements Store.
func (d *Disk) Head(ctx context.Context, bucket, key string) (*ObjectInfo, error) {
	if err := checkKey(key); err != nil {
		return nil, err
	}
	rec, err := d.lookup(bucket, key)
	if err != nil {
		return nil, err
	}
	return rec.info(bucket, key), nil
}

// ErrInvalidRange is returned by Get for a range outside the object.
var ErrInvalidRange = errors.New("store: range not satisfiable")

// blobReader reads a blob (or a range of it). Its WriteTo hands an *io.LimitedReader over
// the *os.File to the destination, so net/http can use sendfile.
type blobReader struct {
	lr *io.LimitedReader
	f  *os.File
}

func (b *blobReader) Read(p []byte) (int, error)         { return b.lr.Read(p) }
func (b *blobReader) WriteTo(w io.Writer) (int64, error) { return io.Copy(w, b.lr) }
func (b *blobReader) Close() error                       { return b.f.Close() }

// Get implements Store. The reader keeps reading the version it opened even if the object is
// replaced or deleted meanwhile. A range outside the object gives ErrInvalidRange.
func (d *Disk) Get(ctx context.Context, bucket, key string, rng *Range) (*ObjectInfo, io.ReadCloser, error) {
	if err := checkKey(key); err != nil {
		return nil, nil, err
	}
	// A concurrent Put or Delete may remove the blob between the index read and the open:
	// read the index again (the new entry is committed before the old blob goes).
	for attempt := 0; ; attempt++ {
		rec, err := d.lookup(bucket, key)
		if err != nil {
			return nil, nil, err
		}
		f, err := os.Open(d.blobPath(rec.Blob))
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) && attempt < 8 {
				continue
			}
			return nil, nil, fmt.Errorf("store: open blob: %w", err)
		}
		info := rec.info(bucket, key)
		if rng == nil {
			return info, &blobReader{lr: &io.LimitedReader{R: f, N: rec.Size}, f: f}, nil
		}
		if rng.Start < 0 || rng.End < rng.Start || rng.End >= rec.Size {
			f.Close()
			return info, nil, ErrInvalidRange
		}
		if _, err := f.Seek(rng.Start, io.SeekStart); err != nil {
			f.Close()
			return nil, nil, fmt.Errorf("store: %w", err)
		}
		return info, &blobReader{lr: &io.LimitedReader{R: f, N: rng.End - rng.Start + 1}, f: f}, nil
	}
}

func copyMeta(m map[string]string) map[string]string {
	if len(m) == 0 {
		return nil
	}
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// Put implements Store.
func (d *Disk) Put(ctx context.Context, bucket, key string, body io.Reader, opts PutOptions) (*ObjectInfo, error) {
	if err := checkKey(key); err != nil {
		return nil, err
	}
	if opts.ContentMD5 != nil && len(opts.ContentMD5) != md5.Size {
		return nil, fmt.Errorf("%w: Content-MD5 is not 16 bytes", ErrBadDigest)
	}
	if err := d.HeadBucket(ctx, bucket); err != nil {
		return nil, err
	}
	id, size, sum, err := d.writeBlob(ctx, body, opts.ContentMD5)
	if err != nil {
		return nil, err
	}
	rec := objRec{
		Size: size, ETag: `"` + hex.EncodeToString(sum) + `"`, ContentType: opts.ContentType,
		Meta: copyMeta(opts.Metadata), Blob: id, Modified: d.ms(),
	}
	old, err := d.commit(bucket, key, &rec, nil)
	if err != nil {
		d.removeBlob(id)
		return nil, err
	}
	d.removeBlob(old)
	return rec.info(bucket, key), nil
}

// commit stores rec under key in one transaction (running also, if set, inside it) and
// returns the blob of the entry it replaced.
func (d *Disk) commit(bucket, key string, rec *objRec, also func(tx *bolt.Tx) error) (oldBlob string, err error) {
	v, err := json.Marshal(rec)
	if err != nil {
		return "", err
	}
	err = d.db.Update(func(tx *bolt.Tx) error {
		b, err := objects(tx, bucket)
		if err != nil {
			return err
		}
		if also != nil {
			if err := also(tx); err != nil {
				return err
			}
		}
		if prev := b.Get([]byte(key)); prev != nil {
			var o objRec
			if json.Unmarshal(prev, &o) == nil {
				oldBlob = o.Blob
			}
		}
		return b.Put([]byte(key), v)
	})
	if err != nil {
		return "", err
	}
	return oldBlob, nil
}

// Delete implements Store.
func (d *Disk) Delete(ctx context.Context, bucket, key string) error {
	if err := checkKey(key); err != nil {
		return err
	}
	var old string
	err := d.db.Update(func(tx *bolt.Tx) error {
		b, err := objects(tx, bucket)
		if err != nil {
			return err
		}
		v := b.Get([]byte(key))
		if v == nil {
			return nil
		}
		var o objRec
		if json.Unmarshal(v, &o) == nil {
			old = o.Blob
		}
		return b.Delete([]byte(key))
	})
	if err != nil {
		return err
	}
	d.removeBlob(old)
	return nil
}

// List implements Store.
func (d *Disk) List(ctx context.Context, bucket string, opts ListOptions) (*ListResult, error) {
	after, afterPrefix, err := listStart(opts)
	if err != nil {
		return nil, err
	}
	max := opts.MaxKeys
	if max <= 0 || max > MaxListKeys {
		max = MaxListKeys
	}
	res := &ListResult{}
	err = d.db.View(func(tx *bolt.Tx) error {
		b, err := objects(tx, bucket)
		if err != nil {
			return err
		}
		c := b.Cursor()
		var k, v []byte
		// Position: the first key > after (or past every key under afterPrefix), and >= Prefix.
		seek := opts.Prefix
		skipEqual := ""
		if afterPrefix {
			if s, ok := prefixSuccessor(after); ok {
				if s > seek {
					seek = s
				}
			} else {
				return nil // nothing sorts after
			}
		} else if after >= seek {
			seek, skipEqual = after, after
		}
		k, v = c.Seek([]byte(seek))
		if k != nil && skipEqual != "" && string(k) == skipEqual {
			k, v = c.Next()
		}
		n := 0
		last, lastIsPrefix := "", false
		for k != nil {
			key := string(k)
			if !strings.HasPrefix(key, opts.Prefix) {
				break
			}
			cp := ""
			if opts.Delimiter != "" {
				if i := strings.Index(key[len(opts.Prefix):], opts.Delimiter); i >= 0 {
					cp = key[:len(opts.Prefix)+i+len(opts.Delimiter)]
				}
			}
			if n == max {
				res.IsTruncated = true
				res.NextContinuationToken = encodeToken(last, lastIsPrefix)
				return nil
			}
			n++
			if cp != "" {
				res.CommonPrefixes = append(res.CommonPrefixes, cp)
				last, lastIsPrefix = cp, true
				s, ok := prefixSuccessor(cp)
				if !ok {
					return nil
				}
				k, v = c.Seek([]byte(s))
				continue
			}
			var r objRec
			if err := json.Unmarshal(v, &r); err != nil {
				return fmt.Errorf("store: corrupt index entry: %w", err)
			}
			res.Objects = append(res.Objects, *r.info(bucket, key))
			last, lastIsPrefix = key, false
			k, v = c.Next()
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return res, nil
}

// prefixSuccessor returns the smallest string that sorts after every string starting with p.
func prefixSuccessor(p string) (string, bool) {
	b := []byte(p)
	for len(b) > 0 && b[len(b)-1] == 0xff {
		b = b[:len(b)-1]
	}
	if len(b) == 0 {
		return "", false
	}
	b[len(b)-1]++
	return string(b), true
}

// Continuation tokens are opaque to clients: base64url of a one-byte tag ('k' after a key,
// 'p' after a common prefix, i.e. past every key under it) and the key or prefix.
func encodeToken(last string, isPrefix bool) string {
	tag := "k"
	if isPrefix {
		tag = "p"
	}
	return base64.RawURLEncoding.EncodeToString([]byte(tag + last))
}

// DecodeContinuationToken decodes a token made by List: the key (or common prefix) the next
// page starts after.
func DecodeContinuationToken(tok string) (after string, isPrefix bool, err error) {
	b, err := base64.RawURLEncoding.DecodeString(tok)
	if err != nil || len(b) < 2 || (b[0] != 'k' && b[0] != 'p') || len(b) > MaxKeyBytes+1 {
		return "", false, ErrInvalidToken
	}
	return string(b[1:]), b[0] == 'p', nil
}

func listStart(opts ListOptions) (after string, isPrefix bool, err error) {
	if opts.ContinuationToken != "" {
		return DecodeContinuationToken(opts.ContinuationToken)
	}
	return opts.StartAfter, false, nil
}
