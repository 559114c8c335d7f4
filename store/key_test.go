package store

import (
	"bufio"
	"errors"
	"os"
	"strconv"
	"strings"
	"testing"
)

type keyVector struct {
	line   int
	ok     bool
	reason string
	key    string
}

func loadKeyVectors(t testing.TB) []keyVector {
	t.Helper()
	f, err := os.Open("testdata/keys.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []keyVector
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		v := keyVector{line: n}
		var rest string
		if r, ok := strings.CutPrefix(line, "ok "); ok {
			v.ok, rest = true, r
		} else if r, ok := strings.CutPrefix(line, "bad "); ok {
			v.reason, rest, _ = strings.Cut(r, " ")
		} else {
			t.Fatalf("line %d: bad vector", n)
		}
		if v.key, err = strconv.Unquote(rest); err != nil {
			t.Fatalf("line %d: %v", n, err)
		}
		out = append(out, v)
	}
	return out
}

var s3Reasons = map[string]bool{"empty": true, "too_long": true, "not_utf8": true, "control_character": true}

func TestValidateKeyCorpus(t *testing.T) {
	for _, v := range loadKeyVectors(t) {
		t.Run(strconv.Itoa(v.line), func(t *testing.T) {
			t.Parallel()
			err := ValidateKey(v.key)
			if v.ok {
				if err != nil {
					t.Errorf("ValidateKey(%q) = %v, want nil", v.key, err)
				}
			} else {
				var ke *KeyError
				if !errors.As(err, &ke) || ke.Reason.String() != v.reason || !errors.Is(err, ErrInvalidKey) {
					t.Errorf("ValidateKey(%q) = %v, want reason %s", v.key, err, v.reason)
				}
			}
			// What every store enforces: S3's rules only.
			if err := checkKey(v.key); (err != nil) != s3Reasons[v.reason] {
				t.Errorf("checkKey(%q) = %v", v.key, err)
			}
		})
	}
}

func FuzzValidateKey(f *testing.F) {
	for _, v := range loadKeyVectors(f) {
		f.Add(v.key)
	}
	f.Fuzz(func(t *testing.T, key string) {
		err := ValidateKey(key)
		if err != nil {
			if !errors.Is(err, ErrInvalidKey) {
				t.Fatalf("error %v is not ErrInvalidKey", err)
			}
			return
		}
		// Whatever passes is safe to join to a path and to decode once more.
		if checkKey(key) != nil || strings.HasPrefix(key, "/") || strings.Contains(key, `\`) || strings.Contains(key, "//") {
			t.Fatalf("unsafe key accepted: %q", key)
		}
		for _, seg := range strings.Split(key, "/") {
			if seg == "." || seg == ".." || seg == "" {
				t.Fatalf("dot or empty segment accepted: %q", key)
			}
		}
		if d, _ := decodePercent(key); d != key {
			for _, seg := range strings.Split(d, "/") {
				if seg == "." || seg == ".." {
					t.Fatalf("encoded dot segment accepted: %q", key)
				}
			}
			if strings.ContainsAny(d, "\\\x00") {
				t.Fatalf("encoded separator accepted: %q", key)
			}
		}
	})
}
