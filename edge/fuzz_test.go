package edge

import (
	"encoding/xml"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// FuzzMatchPattern checks the iterative matcher against a regular-expression model of
// CloudFront path patterns.
func FuzzMatchPattern(f *testing.F) {
	f.Add("/images/*.jpg", "/images/a/b.jpg")
	f.Add("/a?c", "/abc")
	f.Add("*", "/")
	f.Add("/*/*/z", "/a/b/z")
	f.Fuzz(func(t *testing.T, pattern, path string) {
		if len(pattern) > 64 || len(path) > 256 {
			return
		}
		var re strings.Builder
		re.WriteString(`\A(?s:`)
		for i := 0; i < len(pattern); i++ {
			switch pattern[i] {
			case '*':
				re.WriteString(`[\x00-\xff]*`)
			case '?':
				re.WriteString(`[\x00-\xff]`)
			default:
				re.WriteString(regexp.QuoteMeta(string([]byte{pattern[i]})))
			}
		}
		re.WriteString(`)\z`)
		// Compare byte-wise: map every byte to a rune in Latin-1 so the regexp sees bytes.
		latin := func(s string) string {
			r := make([]rune, len(s))
			for i := 0; i < len(s); i++ {
				r[i] = rune(s[i])
			}
			return string(r)
		}
		model := regexp.MustCompile(strings.NewReplacer(`[\x00-\xff]`, `[\x{0}-\x{ff}]`).Replace(latin(re.String())))
		want := model.MatchString(latin(path))
		if got := matchPattern(pattern, path); got != want {
			t.Fatalf("matchPattern(%q, %q) = %v, model says %v", pattern, path, got, want)
		}
	})
}

// FuzzParseInvalidationBatch: an accepted batch is well-formed, and survives a marshal/parse
// round trip unchanged.
func FuzzParseInvalidationBatch(f *testing.F) {
	f.Add(`<InvalidationBatch><Paths><Quantity>1</Quantity><Items><Path>/photos/*</Path></Items></Paths><CallerReference>r</CallerReference></InvalidationBatch>`)
	f.Add(`<InvalidationBatch><Paths><Quantity>2</Quantity><Items><Path>/a</Path><Path>/b*</Path></Items></Paths><CallerReference>x</CallerReference></InvalidationBatch>`)
	f.Fuzz(func(t *testing.T, in string) {
		b, err := ParseInvalidationBatch(strings.NewReader(in))
		if err != nil {
			if b != nil {
				t.Fatal("error with a result")
			}
			return
		}
		if b.Paths.Quantity != len(b.Paths.Items) || b.CallerReference == "" {
			t.Fatalf("accepted inconsistent batch %+v", b)
		}
		for _, p := range b.Paths.Items {
			if checkInvalidationPath(p) != nil {
				t.Fatalf("accepted bad path %q", p)
			}
		}
		out, err := xml.Marshal(b)
		if err != nil {
			t.Fatal(err)
		}
		b2, err := ParseInvalidationBatch(strings.NewReader(string(out)))
		if err != nil {
			t.Fatalf("round trip refused: %v\n%s", err, out)
		}
		if b2.CallerReference != b.CallerReference || !slices.Equal(b2.Paths.Items, b.Paths.Items) {
			t.Fatalf("round trip changed the batch: %+v vs %+v", b, b2)
		}
	})
}
