package store

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"
)

var _ Multipart = (*Disk)(nil)

func (d *Disk) getUpload(tx *bolt.Tx, bucket, key, uploadID string) (*uploadRec, error) {
	v := tx.Bucket(bktUploads).Get([]byte(uploadID))
	if v == nil {
		return nil, fmt.Errorf("%w: %s", ErrNoSuchUpload, uploadID)
	}
	var u uploadRec
	if err := json.Unmarshal(v, &u); err != nil {
		return nil, fmt.Errorf("store: corrupt upload record: %w", err)
	}
	if u.Bucket != bucket || u.Key != key {
		return nil, fmt.Errorf("%w: %s", ErrNoSuchUpload, uploadID)
	}
	return &u, nil
}

func putUpload(tx *bolt.Tx, uploadID string, u *uploadRec) error {
	v, err := json.Marshal(u)
	if err != nil {
		return err
	}
	return tx.Bucket(bktUploads).Put([]byte(uploadID), v)
}

// CreateMultipartUpload implements Multipart.
func (d *Disk) CreateMultipartUpload(ctx context.Context, bucket, key string, opts PutOptions) (string, error) {
	if err := checkKey(key); err != nil {
		return "", err
	}
	id := newID()
	u := &uploadRec{Bucket: bucket, Key: key, ContentType: opts.ContentType, Meta: copyMeta(opts.Metadata), Initiated: d.ms()}
	err := d.db.Update(func(tx *bolt.Tx) error {
		if _, err := objects(tx, bucket); err != nil {
			return err
		}
		return putUpload(tx, id, u)
	})
	if err != nil {
		return "", err
	}
	return id, nil
}

// UploadPart implements Multipart.
func (d *Disk) UploadPart(ctx context.Context, bucket, key, uploadID string, partNumber int, body io.Reader, contentMD5 []byte) (*PartInfo, error) {
	if partNumber < 1 || partNumber > MaxPartNumber {
		return nil, fmt.Errorf("%w: part number %d not in 1..%d", ErrInvalidPart, partNumber, MaxPartNumber)
	}
	if err := d.db.View(func(tx *bolt.Tx) error {
		_, err := d.getUpload(tx, bucket, key, uploadID)
		return err
	}); err != nil {
		return nil, err
	}
	id, size, sum, err := d.writeBlob(ctx, body, contentMD5)
	if err != nil {
		return nil, err
	}
	p := partRec{ETag: `"` + hex.EncodeToString(sum) + `"`, Size: size, Blob: id, Modified: d.ms()}
	var old string
	err = d.db.Update(func(tx *bolt.Tx) error {
		u, err := d.getUpload(tx, bucket, key, uploadID)
		if err != nil {
			return err
		}
		if u.Parts == nil {
			u.Parts = map[int]partRec{}
		}
		old = u.Parts[partNumber].Blob
		u.Parts[partNumber] = p
		return putUpload(tx, uploadID, u)
	})
	if err != nil {
		d.removeBlob(id)
		return nil, err
	}
	d.removeBlob(old)
	return &PartInfo{PartNumber: partNumber, ETag: p.ETag, Size: size, LastModified: time.Unix(0, p.Modified).UTC()}, nil
}

// ListParts implements Multipart.
func (d *Disk) ListParts(ctx context.Context, bucket, key, uploadID string) ([]PartInfo, error) {
	var out []PartInfo
	err := d.db.View(func(tx *bolt.Tx) error {
		u, err := d.getUpload(tx, bucket, key, uploadID)
		if err != nil {
			return err
		}
		for n, p := range u.Parts {
			out = append(out, PartInfo{PartNumber: n, ETag: p.ETag, Size: p.Size, LastModified: time.Unix(0, p.Modified).UTC()})
		}
		return nil
	})
	sort.Slice(out, func(i, j int) bool { return out[i].PartNumber < out[j].PartNumber })
	return out, err
}

// MultipartETag is S3's ETag of a multipart object: the MD5 of the concatenated binary part
// MD5s, "-", the number of parts, quoted.
func MultipartETag(partETags []string) string {
	h := md5.New()
	for _, e := range partETags {
		b, _ := hex.DecodeString(strings.Trim(e, `"`))
		h.Write(b)
	}
	return fmt.Sprintf(`"%s-%d"`, hex.EncodeToString(h.Sum(nil)), len(partETags))
}

// CompleteMultipartUpload implements Multipart. The parts are concatenated into a new blob
// (temp, fsync, rename); the object entry is committed and the upload removed in one
// transaction; then the part blobs and the replaced object's blob are removed.
func (d *Disk) CompleteMultipartUpload(ctx context.Context, bucket, key, uploadID string, parts []CompletePart) (*ObjectInfo, error) {
	if len(parts) == 0 {
		return nil, fmt.Errorf("%w: no parts", ErrInvalidPart)
	}
	var u *uploadRec
	if err := d.db.View(func(tx *bolt.Tx) error {
		var err error
		u, err = d.getUpload(tx, bucket, key, uploadID)
		return err
	}); err != nil {
		return nil, err
	}
	chosen := make([]partRec, len(parts))
	etags := make([]string, len(parts))
	for i := 1; i < len(parts); i++ {
		if parts[i].PartNumber <= parts[i-1].PartNumber {
			return nil, ErrInvalidPartOrder
		}
	}
	for i, cp := range parts {
		p, ok := u.Parts[cp.PartNumber]
		if !ok || strings.Trim(cp.ETag, `"`) != strings.Trim(p.ETag, `"`) {
			return nil, fmt.Errorf("%w: part %d not uploaded or ETag mismatch", ErrInvalidPart, cp.PartNumber)
		}
		chosen[i], etags[i] = p, p.ETag
	}
	for i, p := range chosen[:len(chosen)-1] {
		if p.Size < MinPartSize {
			return nil, fmt.Errorf("%w: part %d is %d bytes", ErrEntityTooSmall, parts[i].PartNumber, p.Size)
		}
	}
	pr, pw := io.Pipe()
	go func() {
		for _, p := range chosen {
			f, err := os.Open(d.blobPath(p.Blob))
			if err != nil {
				pw.CloseWithError(err)
				return
			}
			_, err = io.Copy(pw, f)
			f.Close()
			if err != nil {
				pw.CloseWithError(err)
				return
			}
		}
		pw.Close()
	}()
	id, size, _, err := d.writeBlob(ctx, pr, nil)
	pr.Close()
	if err != nil {
		return nil, err
	}
	rec := objRec{Size: size, ETag: MultipartETag(etags), ContentType: u.ContentType, Meta: u.Meta, Blob: id, Modified: d.ms()}
	var partBlobs []string
	old, err := d.commit(bucket, key, &rec, func(tx *bolt.Tx) error {
		cur, err := d.getUpload(tx, bucket, key, uploadID)
		if err != nil {
			return err
		}
		for i, cp := range parts {
			if cur.Parts[cp.PartNumber].Blob != chosen[i].Blob {
				return fmt.Errorf("%w: part %d changed during completion", ErrInvalidPart, cp.PartNumber)
			}
		}
		for _, p := range cur.Parts {
			partBlobs = append(partBlobs, p.Blob)
		}
		return tx.Bucket(bktUploads).Delete([]byte(uploadID))
	})
	if err != nil {
		d.removeBlob(id)
		return nil, err
	}
	for _, b := range partBlobs {
		d.removeBlob(b)
	}
	d.removeBlob(old)
	return rec.info(bucket, key), nil
}

// AbortMultipartUpload implements Multipart.
func (d *Disk) AbortMultipartUpload(ctx context.Context, bucket, key, uploadID string) error {
	var blobs []string
	err := d.db.Update(func(tx *bolt.Tx) error {
		u, err := d.getUpload(tx, bucket, key, uploadID)
		if err != nil {
			return err
		}
		for _, p := range u.Parts {
			blobs = append(blobs, p.Blob)
		}
		return tx.Bucket(bktUploads).Delete([]byte(uploadID))
	})
	if err != nil {
		return err
	}
	for _, b := range blobs {
		d.removeBlob(b)
	}
	return nil
}
