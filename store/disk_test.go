package store

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

func openTest(t testing.TB) (*Disk, string) {
	t.Helper()
	root := t.TempDir()
	d, err := OpenDisk(root, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	if err := d.CreateBucket(context.Background(), "media"); err != nil {
		t.Fatal(err)
	}
	return d, root
}

func readAll(t testing.TB, d *Disk, key string, rng *Range) ([]byte, *ObjectInfo) {
	t.Helper()
	info, rc, err := d.Get(context.Background(), "media", key, rng)
	if err != nil {
		t.Fatalf("Get %q: %v", key, err)
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		t.Fatal(err)
	}
	return b, info
}

func md5ETag(b []byte) string { s := md5.Sum(b); return `"` + hex.EncodeToString(s[:]) + `"` }

func dirLen(t testing.TB, dir string) int {
	t.Helper()
	es, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	return len(es)
}

func TestPutGetHead(t *testing.T) {
	d, _ := openTest(t)
	ctx := context.Background()
	body := []byte("hello, signet")
	info, err := d.Put(ctx, "media", "a/b.txt", bytes.NewReader(body), PutOptions{
		ContentType: "text/plain", Metadata: map[string]string{"color": "blue"}, ContentMD5: func() []byte { s := md5.Sum(body); return s[:] }(),
	})
	if err != nil {
		t.Fatal(err)
	}
	if info.ETag != md5ETag(body) || info.Size != int64(len(body)) {
		t.Errorf("put info %+v", info)
	}
	h, err := d.Head(ctx, "media", "a/b.txt")
	if err != nil || h.ContentType != "text/plain" || h.Metadata["color"] != "blue" || h.ETag != info.ETag || !h.LastModified.Equal(info.LastModified) {
		t.Errorf("head %+v %v", h, err)
	}
	got, _ := readAll(t, d, "a/b.txt", nil)
	if !bytes.Equal(got, body) {
		t.Errorf("got %q, want %q", got, body)
	}
	got, _ = readAll(t, d, "a/b.txt", &Range{Start: 7, End: 12})
	if string(got) != "signet" {
		t.Errorf("range got %q, want %q", got, "signet")
	}
	if _, _, err := d.Get(ctx, "media", "a/b.txt", &Range{Start: 5, End: 13}); !errors.Is(err, ErrInvalidRange) {
		t.Errorf("range past the end: %v", err)
	}
	if _, err := d.Head(ctx, "media", "nope"); !errors.Is(err, ErrNotFound) {
		t.Errorf("missing key: %v", err)
	}
	if _, err := d.Head(ctx, "nope", "x"); !errors.Is(err, ErrBucketNotFound) {
		t.Errorf("missing bucket: %v", err)
	}
	if _, err := d.Put(ctx, "nope", "x", strings.NewReader("x"), PutOptions{}); !errors.Is(err, ErrBucketNotFound) {
		t.Errorf("put to missing bucket: %v", err)
	}
	if err := d.Delete(ctx, "media", "a/b.txt"); err != nil {
		t.Fatal(err)
	}
	if err := d.Delete(ctx, "media", "a/b.txt"); err != nil {
		t.Errorf("second delete: %v", err)
	}
	if _, err := d.Head(ctx, "media", "a/b.txt"); !errors.Is(err, ErrNotFound) {
		t.Errorf("after delete: %v", err)
	}
	// Empty object.
	if info, err := d.Put(ctx, "media", "empty", nil, PutOptions{}); err != nil || info.Size != 0 || info.ETag != md5ETag(nil) {
		t.Errorf("empty put: %+v %v", info, err)
	}
}

func TestBuckets(t *testing.T) {
	d, _ := openTest(t)
	ctx := context.Background()
	if err := d.CreateBucket(ctx, "media"); !errors.Is(err, ErrBucketExists) {
		t.Errorf("duplicate bucket: %v", err)
	}
	for _, bad := range []string{"", "ab", "UPPER", "a..b", "-ab", "192.168.1.1", "xn--abc", strings.Repeat("a", 64), "a_b"} {
		if err := d.CreateBucket(ctx, bad); !errors.Is(err, ErrInvalidBucket) {
			t.Errorf("CreateBucket(%q) = %v, want ErrInvalidBucket", bad, err)
		}
	}
	if err := d.CreateBucket(ctx, "other"); err != nil {
		t.Fatal(err)
	}
	bs, err := d.ListBuckets(ctx)
	if err != nil || len(bs) != 2 || bs[0].Name != "media" || bs[1].Name != "other" {
		t.Errorf("ListBuckets %+v %v", bs, err)
	}
	d.Put(ctx, "other", "k", strings.NewReader("v"), PutOptions{})
	if err := d.DeleteBucket(ctx, "other"); !errors.Is(err, ErrBucketNotEmpty) {
		t.Errorf("delete non-empty bucket: %v", err)
	}
	d.Delete(ctx, "other", "k")
	if err := d.DeleteBucket(ctx, "other"); err != nil {
		t.Errorf("delete empty bucket: %v", err)
	}
	if err := d.HeadBucket(ctx, "other"); !errors.Is(err, ErrBucketNotFound) {
		t.Errorf("deleted bucket: %v", err)
	}
}

// failingReader yields n bytes then fails, as a sigv4 body whose hash does not match.
type failingReader struct {
	n   int
	err error
}

func (f *failingReader) Read(p []byte) (int, error) {
	if f.n == 0 {
		return 0, f.err
	}
	k := min(len(p), f.n)
	for i := range p[:k] {
		p[i] = 'x'
	}
	f.n -= k
	return k, nil
}

func TestPutBodyErrorKeepsOldObject(t *testing.T) {
	d, root := openTest(t)
	ctx := context.Background()
	if _, err := d.Put(ctx, "media", "k", strings.NewReader("old"), PutOptions{}); err != nil {
		t.Fatal(err)
	}
	bodyErr := errors.New("sigv4: payload_mismatch")
	_, err := d.Put(ctx, "media", "k", &failingReader{n: 3 << 20, err: bodyErr}, PutOptions{})
	if !errors.Is(err, bodyErr) {
		t.Fatalf("Put with failing body = %v, want it wrapped", err)
	}
	// Content-MD5 mismatch aborts too.
	_, err = d.Put(ctx, "media", "k", strings.NewReader("new"), PutOptions{ContentMD5: make([]byte, 16)})
	if !errors.Is(err, ErrBadDigest) {
		t.Fatalf("bad Content-MD5 = %v", err)
	}
	// A cancelled context aborts.
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := d.Put(cctx, "media", "k", strings.NewReader("new"), PutOptions{}); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled put = %v", err)
	}
	got, _ := readAll(t, d, "k", nil)
	if string(got) != "old" {
		t.Errorf("object = %q after failed puts, want %q", got, "old")
	}
	if n := dirLen(t, filepath.Join(root, "tmp")); n != 0 {
		t.Errorf("%d temp files left", n)
	}
	if n := blobCount(t, root); n != 1 {
		t.Errorf("%d blobs, want 1", n)
	}
}

func TestConcurrentWritersOneKey(t *testing.T) {
	d, root := openTest(t)
	ctx := context.Background()
	const writers, rounds = 6, 5
	versions := map[string]bool{}
	var mu sync.Mutex
	var wg sync.WaitGroup
	stop := make(chan struct{})
	var readErr error
	var rwg sync.WaitGroup
	rwg.Add(1)
	go func() { // a reader that must only ever see whole versions
		defer rwg.Done()
		for {
			select {
			case <-stop:
				return
			default:
			}
			info, rc, err := d.Get(ctx, "media", "hot", nil)
			if errors.Is(err, ErrNotFound) {
				continue
			}
			if err != nil {
				readErr = err
				return
			}
			b, err := io.ReadAll(rc)
			rc.Close()
			if err != nil || md5ETag(b) != info.ETag || int64(len(b)) != info.Size {
				readErr = fmt.Errorf("torn read: %d bytes, etag %s", len(b), info.ETag)
				return
			}
		}
	}()
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for r := range rounds {
				body := bytes.Repeat([]byte{byte(w*rounds + r)}, 100_000+w*1000+r)
				mu.Lock()
				versions[md5ETag(body)] = true
				mu.Unlock()
				if _, err := d.Put(ctx, "media", "hot", bytes.NewReader(body), PutOptions{}); err != nil {
					t.Error(err)
				}
			}
		}()
	}
	wg.Wait()
	close(stop)
	rwg.Wait()
	if readErr != nil {
		t.Fatal(readErr)
	}
	b, info := readAll(t, d, "hot", nil)
	if !versions[md5ETag(b)] || md5ETag(b) != info.ETag {
		t.Errorf("final object is not one whole version")
	}
	if n := blobCount(t, root); n != 1 {
		t.Errorf("%d blobs after concurrent writes, want 1", n)
	}
}

func TestRestartPersistenceAndSweep(t *testing.T) {
	root := t.TempDir()
	ctx := context.Background()
	d, err := OpenDisk(root, nil)
	if err != nil {
		t.Fatal(err)
	}
	d.CreateBucket(ctx, "media")
	want, _ := d.Put(ctx, "media", "dir/k", strings.NewReader("persist"), PutOptions{ContentType: "text/x", Metadata: map[string]string{"a": "b"}})
	id, _ := d.CreateMultipartUpload(ctx, "media", "mp", PutOptions{})
	d.UploadPart(ctx, "media", "mp", id, 1, strings.NewReader("part"), nil)
	d.Close()

	// What a crash leaves: a temp file and an unreferenced blob.
	os.WriteFile(filepath.Join(root, "tmp", "deadbeef"), []byte("partial"), 0o600)
	os.WriteFile(filepath.Join(root, "blobs", "01", "0123456789abcdef0123456789abcdef"), []byte("orphan"), 0o600)

	d, err = OpenDisk(root, nil)
	if err != nil {
		t.Fatal(err)
	}
	got, err := d.Head(ctx, "media", "dir/k")
	if err != nil || got.ETag != want.ETag || got.ContentType != "text/x" || got.Metadata["a"] != "b" || !got.LastModified.Equal(want.LastModified) {
		t.Errorf("after restart: %+v %v, want %+v", got, err, want)
	}
	if n := dirLen(t, filepath.Join(root, "tmp")); n != 0 {
		t.Errorf("temp files not swept: %d", n)
	}
	if n := blobCount(t, root); n != 2 { // object + upload part
		t.Errorf("blobs after sweep = %d, want 2", n)
	}
	if parts, err := d.ListParts(ctx, "media", "mp", id); err != nil || len(parts) != 1 {
		t.Errorf("upload lost: %v %v", parts, err)
	}
	// Stale uploads are aborted at open and their parts swept.
	d.Close()
	d, err = OpenDisk(root, &DiskOptions{StaleUploadAge: -1})
	if err != nil {
		t.Fatal(err)
	}
	d.Close()
	if n := blobCount(t, root); n != 2 {
		t.Errorf("StaleUploadAge < 0 removed parts: %d blobs", n)
	}
	d, err = OpenDisk(root, &DiskOptions{StaleUploadAge: time.Nanosecond})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if _, err := d.ListParts(ctx, "media", "mp", id); !errors.Is(err, ErrNoSuchUpload) {
		t.Errorf("stale upload kept: %v", err)
	}
	if n := blobCount(t, root); n != 1 {
		t.Errorf("blobs after stale upload sweep = %d, want 1", n)
	}
	// A second process cannot open the same root.
	if _, err := OpenDisk(root, &DiskOptions{LockTimeout: 50e6}); err == nil || !strings.Contains(err.Error(), "locked") {
		t.Errorf("second open: %v", err)
	}
}

// refList is a naive S3 listing: every entry (key or common prefix) in order.
func refList(keys []string, prefix, delim string) []string {
	var out []string
	for _, k := range keys {
		if !strings.HasPrefix(k, prefix) {
			continue
		}
		e := k
		if delim != "" {
			if i := strings.Index(k[len(prefix):], delim); i >= 0 {
				e = "P:" + k[:len(prefix)+i+len(delim)]
			}
		}
		if len(out) > 0 && out[len(out)-1] == e {
			continue
		}
		out = append(out, e)
	}
	return out
}

func TestListMatchesReference(t *testing.T) {
	d, _ := openTest(t)
	ctx := context.Background()
	keys := []string{
		"a", "a/", "a/b", "a/b/c", "a//b", "a/b.txt", "a-b", "a0", "b", "b/c/d/e", "photos/2024/a.jpg",
		"photos/2024/b.jpg", "photos/2025/c.jpg", "photos/x", "z", "é", "日本/語", "~", " space", "A", "a+b", "a%2Fb",
		"\U0001F600/smile", "ÿ", "zz/zz/zz",
	}
	rnd := rand.New(rand.NewPCG(1, 2))
	for i := range 40 {
		keys = append(keys, fmt.Sprintf("r/%d/%x", rnd.IntN(5), rnd.Uint32()+uint32(i)))
	}
	for _, k := range keys {
		if _, err := d.Put(ctx, "media", k, strings.NewReader(k), PutOptions{}); err != nil {
			t.Fatalf("put %q: %v", k, err)
		}
	}
	slices.Sort(keys) // Go string order is byte order: S3's order for UTF-8 keys
	keys = slices.Compact(keys)
	for _, prefix := range []string{"", "a", "a/", "photos/", "photos/2024/", "r/", "zz", "none"} {
		for _, delim := range []string{"", "/", "b", "/2"} {
			want := refList(keys, prefix, delim)
			for _, max := range []int{1, 2, 3, 7, 1000} {
				var got []string
				tok := ""
				for page := 0; ; page++ {
					res, err := d.List(ctx, "media", ListOptions{Prefix: prefix, Delimiter: delim, MaxKeys: max, ContinuationToken: tok})
					if err != nil {
						t.Fatal(err)
					}
					if n := len(res.Objects) + len(res.CommonPrefixes); n > max {
						t.Fatalf("page of %d entries, max %d", n, max)
					}
					// Merge the page's objects and prefixes in order.
					var entries []string
					for _, o := range res.Objects {
						entries = append(entries, o.Key)
					}
					for _, p := range res.CommonPrefixes {
						entries = append(entries, "P:"+p)
					}
					slices.SortFunc(entries, func(a, b string) int {
						return strings.Compare(strings.TrimPrefix(a, "P:"), strings.TrimPrefix(b, "P:"))
					})
					got = append(got, entries...)
					if !res.IsTruncated {
						break
					}
					if res.NextContinuationToken == "" || page > len(keys) {
						t.Fatal("truncated without a token")
					}
					tok = res.NextContinuationToken
				}
				if !slices.Equal(got, want) {
					t.Errorf("prefix %q delim %q max %d:\n got %q\nwant %q", prefix, delim, max, got, want)
				}
			}
		}
	}
	// StartAfter.
	res, err := d.List(ctx, "media", ListOptions{StartAfter: "photos/2024/a.jpg"})
	if err != nil || res.Objects[0].Key != "photos/2024/b.jpg" {
		t.Errorf("StartAfter: %v %v", res.Objects[:1], err)
	}
	res, err = d.List(ctx, "media", ListOptions{StartAfter: "photos/", Delimiter: "/", Prefix: "photos/"})
	if err != nil || len(res.CommonPrefixes) != 2 {
		t.Errorf("StartAfter at the prefix: %+v %v", res, err)
	}
	if _, err := d.List(ctx, "media", ListOptions{ContinuationToken: "!!"}); !errors.Is(err, ErrInvalidToken) {
		t.Errorf("bad token: %v", err)
	}
	if _, err := d.List(ctx, "nope", ListOptions{}); !errors.Is(err, ErrBucketNotFound) {
		t.Errorf("missing bucket: %v", err)
	}
}

func TestMultipart(t *testing.T) {
	d, root := openTest(t)
	ctx := context.Background()
	id, err := d.CreateMultipartUpload(ctx, "media", "big", PutOptions{ContentType: "video/mp4", Metadata: map[string]string{"m": "1"}})
	if err != nil {
		t.Fatal(err)
	}
	p1 := bytes.Repeat([]byte("1"), MinPartSize)
	p2 := []byte("tail")
	i1, err := d.UploadPart(ctx, "media", "big", id, 1, bytes.NewReader(p1), nil)
	if err != nil {
		t.Fatal(err)
	}
	// Re-uploading a part replaces it.
	d.UploadPart(ctx, "media", "big", id, 2, strings.NewReader("first try"), nil)
	i2, err := d.UploadPart(ctx, "media", "big", id, 2, bytes.NewReader(p2), nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.UploadPart(ctx, "media", "big", id, 3, &failingReader{n: 10, err: io.ErrUnexpectedEOF}, nil); err == nil {
		t.Error("failing part body accepted")
	}
	parts, _ := d.ListParts(ctx, "media", "big", id)
	if len(parts) != 2 || parts[1].ETag != md5ETag(p2) {
		t.Errorf("ListParts %+v", parts)
	}
	// Errors: order, ETag, small non-last part.
	if _, err := d.CompleteMultipartUpload(ctx, "media", "big", id, []CompletePart{{2, i2.ETag}, {1, i1.ETag}}); !errors.Is(err, ErrInvalidPartOrder) {
		t.Errorf("order: %v", err)
	}
	if _, err := d.CompleteMultipartUpload(ctx, "media", "big", id, []CompletePart{{1, `"00"`}}); !errors.Is(err, ErrInvalidPart) {
		t.Errorf("etag: %v", err)
	}
	if _, err := d.CompleteMultipartUpload(ctx, "media", "big", id, []CompletePart{{2, i2.ETag}, {3, i2.ETag}}); !errors.Is(err, ErrInvalidPart) {
		t.Errorf("missing part: %v", err)
	}
	small, _ := d.UploadPart(ctx, "media", "big", id, 4, strings.NewReader("small"), nil)
	if _, err := d.CompleteMultipartUpload(ctx, "media", "big", id, []CompletePart{{2, i2.ETag}, {4, small.ETag}}); !errors.Is(err, ErrEntityTooSmall) {
		t.Errorf("small non-last part: %v", err)
	}
	info, err := d.CompleteMultipartUpload(ctx, "media", "big", id, []CompletePart{{1, i1.ETag}, {2, strings.Trim(i2.ETag, `"`)}})
	if err != nil {
		t.Fatal(err)
	}
	if info.ETag != MultipartETag([]string{i1.ETag, i2.ETag}) || !strings.HasSuffix(info.ETag, `-2"`) || info.ContentType != "video/mp4" {
		t.Errorf("complete info %+v", info)
	}
	got, _ := readAll(t, d, "big", nil)
	if !bytes.Equal(got, append(p1, p2...)) {
		t.Error("multipart content differs")
	}
	if _, err := d.UploadPart(ctx, "media", "big", id, 1, strings.NewReader("x"), nil); !errors.Is(err, ErrNoSuchUpload) {
		t.Errorf("part after complete: %v", err)
	}
	if n := blobCount(t, root); n != 1 {
		t.Errorf("%d blobs after complete, want 1", n)
	}
	// Abort.
	id2, _ := d.CreateMultipartUpload(ctx, "media", "gone", PutOptions{})
	d.UploadPart(ctx, "media", "gone", id2, 1, strings.NewReader("x"), nil)
	if err := d.AbortMultipartUpload(ctx, "media", "gone", id2); err != nil {
		t.Fatal(err)
	}
	if err := d.AbortMultipartUpload(ctx, "media", "gone", id2); !errors.Is(err, ErrNoSuchUpload) {
		t.Errorf("second abort: %v", err)
	}
	if _, err := d.ListParts(ctx, "media", "other-key", id2); !errors.Is(err, ErrNoSuchUpload) {
		t.Errorf("upload under another key: %v", err)
	}
	if n := blobCount(t, root); n != 1 {
		t.Errorf("%d blobs after abort, want 1", n)
	}
}

// TestFIPSOnlyRefused runs OpenDisk in a child under GODEBUG=fips140=only.
func TestFIPSOnlyRefused(t *testing.T) {
	if os.Getenv("STORE_FIPS_CHILD") != "" {
		_, err := OpenDisk(t.TempDir(), nil)
		if !errors.Is(err, ErrFIPSOnly) {
			t.Fatalf("OpenDisk under fips140=only = %v", err)
		}
		if _, err := NewS3(S3Config{AccessKeyID: "a", SecretAccessKey: "0123456789"}); !errors.Is(err, ErrFIPSOnly) {
			t.Fatalf("NewS3 under fips140=only = %v", err)
		}
		fmt.Println("CHILD:", err)
		return
	}
	exe, err := os.Executable()
	if err != nil {
		t.Skip(err)
	}
	cmd := exec.Command(exe, "-test.run=^TestFIPSOnlyRefused$", "-test.v")
	cmd.Env = append(os.Environ(), "STORE_FIPS_CHILD=1", "GODEBUG=fips140=only")
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "CHILD: store: MD5") || !strings.Contains(string(out), "fips140=only") {
		t.Fatalf("child: %v\n%s", err, out)
	}
}

// blobCount counts the blob files under root.
func blobCount(t testing.TB, root string) int {
	t.Helper()
	n := 0
	err := filepath.WalkDir(filepath.Join(root, "blobs"), func(_ string, e os.DirEntry, err error) error {
		if err == nil && !e.IsDir() {
			n++
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}
