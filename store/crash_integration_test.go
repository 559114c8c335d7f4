//go:build integration

package store

import (
	"encoding/json"

	"bufio"
	"bytes"
	"context"
	"crypto/md5"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	bolt "go.etcd.io/bbolt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"
)

// crashContent is self-describing: 16 bytes of (version, size), then ChaCha8(version) bytes,
// so a reader can tell a whole version from a torn one without knowing what was written.
func crashContent(version uint64, size int) []byte {
	b := make([]byte, size)
	binary.BigEndian.PutUint64(b[0:], version)
	binary.BigEndian.PutUint64(b[8:], uint64(size))
	var seed [32]byte
	binary.BigEndian.PutUint64(seed[:], version)
	rand.NewChaCha8(seed).Read(b[16:])
	return b
}

func checkWhole(b []byte) error {
	if len(b) < 16 {
		return fmt.Errorf("%d bytes: torn", len(b))
	}
	v, n := binary.BigEndian.Uint64(b), binary.BigEndian.Uint64(b[8:])
	if uint64(len(b)) != n {
		return fmt.Errorf("version %x: %d bytes, header says %d", v, len(b), n)
	}
	if !bytes.Equal(b, crashContent(v, int(n))) {
		return fmt.Errorf("version %x: content differs", v)
	}
	return nil
}

var crashKeys = []string{"a", "dir/b", "dir/sub/c", "multi"}

// TestCrashChild is the writer the crash test kills; it runs only when re-executed.
func TestCrashChild(t *testing.T) {
	root := os.Getenv("STORE_CRASH_ROOT")
	if root == "" {
		t.Skip("child of TestCrashSafety")
	}
	seed, _ := strconv.ParseUint(os.Getenv("STORE_CRASH_SEED"), 10, 64)
	rnd := rand.New(rand.NewPCG(seed, 7))
	d, err := OpenDisk(root, nil)
	if err != nil {
		fmt.Println("open:", err)
		os.Exit(2)
	}
	fmt.Println("ready")
	ctx := context.Background()
	for {
		key := crashKeys[rnd.IntN(len(crashKeys))]
		v := rnd.Uint64()
		if key == "multi" {
			// Multipart: two parts (5 MiB + tail), completed atomically.
			content := crashContent(v, MinPartSize+rnd.IntN(1<<20)+16)
			id, err := d.CreateMultipartUpload(ctx, "media", key, PutOptions{})
			if err != nil {
				panic(err)
			}
			p1, err1 := d.UploadPart(ctx, "media", key, id, 1, bytes.NewReader(content[:MinPartSize]), nil)
			p2, err2 := d.UploadPart(ctx, "media", key, id, 2, bytes.NewReader(content[MinPartSize:]), nil)
			if err1 != nil || err2 != nil {
				panic(fmt.Sprint(err1, err2))
			}
			if _, err := d.CompleteMultipartUpload(ctx, "media", key, id, []CompletePart{{1, p1.ETag}, {2, p2.ETag}}); err != nil {
				panic(err)
			}
			continue
		}
		content := crashContent(v, 16+rnd.IntN(3<<20))
		// Slow, chunked reads so kills land mid-stream too.
		if _, err := d.Put(ctx, "media", key, io.MultiReader(bytes.NewReader(content[:len(content)/2]), bytes.NewReader(content[len(content)/2:])), PutOptions{}); err != nil {
			panic(err)
		}
	}
}

// TestCrashSafety SIGKILLs a writer mid-upload 30 times; after each kill the reopened store
// holds, for every key, one whole version (old or new), never a torn one, and no leftovers.
func TestCrashSafety(t *testing.T) {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	root := t.TempDir()
	ctx := context.Background()
	d, err := OpenDisk(root, nil)
	if err != nil {
		t.Fatal(err)
	}
	d.CreateBucket(ctx, "media")
	for i, k := range crashKeys {
		if _, err := d.Put(ctx, "media", k, bytes.NewReader(crashContent(uint64(i), 1000)), PutOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	d.Close()

	deadline := time.Now().Add(50 * time.Second)
	rnd := rand.New(rand.NewPCG(1, 1))
	kills, changed := 0, 0
	prev := map[string]string{}
	for i := 0; i < 30 && time.Now().Before(deadline); i++ {
		cmd := exec.Command(exe, "-test.run=^TestCrashChild$")
		cmd.Env = append(os.Environ(), "STORE_CRASH_ROOT="+root, "STORE_CRASH_SEED="+strconv.Itoa(i))
		out, _ := cmd.StdoutPipe()
		cmd.Stderr = os.Stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		line, err := bufio.NewReader(out).ReadString('\n')
		if err != nil || line != "ready\n" {
			cmd.Process.Kill()
			cmd.Wait()
			t.Fatalf("child %d did not start: %q %v", i, line, err)
		}
		time.Sleep(time.Duration(20+rnd.IntN(250)) * time.Millisecond)
		cmd.Process.Signal(syscall.SIGKILL)
		cmd.Wait()
		kills++

		d, err := OpenDisk(root, nil)
		if err != nil {
			t.Fatalf("reopen after kill %d: %v", i, err)
		}
		for _, k := range crashKeys {
			info, rc, err := d.Get(ctx, "media", k, nil)
			if err != nil {
				t.Fatalf("kill %d: key %s lost: %v", i, k, err)
			}
			b, err := io.ReadAll(rc)
			rc.Close()
			if err != nil {
				t.Fatal(err)
			}
			if err := checkWhole(b); err != nil {
				t.Fatalf("kill %d: key %s: %v", i, k, err)
			}
			sum := md5.Sum(b)
			if info.Size != int64(len(b)) || (k != "multi" && info.ETag != `"`+hex.EncodeToString(sum[:])+`"`) {
				t.Fatalf("kill %d: key %s: index says %d bytes %s", i, k, info.Size, info.ETag)
			}
			if prev[k] != info.ETag {
				changed++
				prev[k] = info.ETag
			}
		}
		// The sweep left only referenced blobs: one per object plus parts of open uploads.
		blobs := blobCount(t, root)
		tmps, _ := os.ReadDir(filepath.Join(root, "tmp"))
		parts := countUploadParts(t, d)
		if blobs != len(crashKeys)+parts || len(tmps) != 0 {
			t.Fatalf("kill %d: %d blobs (%d objects, %d parts), %d temp files", i, blobs, len(crashKeys), parts, len(tmps))
		}
		d.Close()
	}
	t.Logf("%d kills, %d observed object changes, every object whole after each", kills, changed)
	if changed < 5 {
		t.Errorf("only %d changes observed: the writer barely ran", changed)
	}
}

func countUploadParts(t *testing.T, d *Disk) int {
	n := 0
	err := d.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bktUploads).ForEach(func(_, v []byte) error {
			var u uploadRec
			if err := json.Unmarshal(v, &u); err != nil {
				return err
			}
			n += len(u.Parts)
			return nil
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}
