package sigv4

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// suiteDir is the aws-c-auth v4 suite, read in place (spec/sigv4.md §7.1).
const suiteDir = "../../shared/sigv4-suite"

type suiteContext struct {
	Credentials struct {
		AccessKeyID     string `json:"access_key_id"`
		SecretAccessKey string `json:"secret_access_key"`
		Token           string `json:"token"`
	} `json:"credentials"`
	Expiration       int64  `json:"expiration_in_seconds"`
	Normalize        bool   `json:"normalize"`
	Region           string `json:"region"`
	Service          string `json:"service"`
	SignBody         bool   `json:"sign_body"`
	Timestamp        string `json:"timestamp"`
	OmitSessionToken bool   `json:"omit_session_token"`
}

type suiteCase struct {
	name string
	dir  string
	ctx  suiteContext
	now  time.Time
}

// rawRequest is a request.txt parsed by hand: http.ReadRequest refuses
// "GET /example space/ HTTP/1.1" (spec/sigv4.md §7.1).
type rawRequest struct {
	method, target string
	headers        [][2]string // in order, continuation lines joined
	body           []byte
}

func parseRawRequest(t testing.TB, b []byte) *rawRequest {
	t.Helper()
	text := string(b)
	head, body, _ := strings.Cut(text, "\n\n")
	lines := strings.Split(head, "\n")
	first := lines[0]
	sp1 := strings.IndexByte(first, ' ')
	sp2 := strings.LastIndexByte(first, ' ')
	if sp1 < 0 || sp2 <= sp1 {
		t.Fatalf("bad request line %q", first)
	}
	rr := &rawRequest{method: first[:sp1], target: first[sp1+1 : sp2], body: []byte(body)}
	for _, l := range lines[1:] {
		if l == "" {
			continue
		}
		if l[0] == ' ' || l[0] == '\t' {
			if len(rr.headers) == 0 {
				t.Fatalf("continuation without header")
			}
			rr.headers[len(rr.headers)-1][1] += " " + strings.TrimLeft(l, " \t")
			continue
		}
		k, v, ok := strings.Cut(l, ":")
		if !ok {
			t.Fatalf("bad header line %q", l)
		}
		rr.headers = append(rr.headers, [2]string{k, v})
	}
	return rr
}

// clientRequest builds the request as a signer sees it: path verbatim through URL.Opaque.
func (rr *rawRequest) clientRequest(t testing.TB) *http.Request {
	t.Helper()
	path, query, _ := strings.Cut(rr.target, "?")
	u := &url.URL{Scheme: "https", Opaque: path, RawQuery: query}
	if strings.HasPrefix(path, "//") {
		// net/http sends an Opaque "//x" as "scheme://x": use Path (no escapes in these cases).
		u.Opaque, u.Path = "", path
	}
	r := &http.Request{Method: rr.method, Header: http.Header{}, URL: u}
	for _, h := range rr.headers {
		if strings.EqualFold(h[0], "host") {
			r.Host = h[1]
			r.URL.Host = h[1]
			continue
		}
		k := http.CanonicalHeaderKey(h[0])
		r.Header[k] = append(r.Header[k], h[1])
	}
	if len(rr.body) > 0 {
		r.Body = io.NopCloser(bytes.NewReader(rr.body))
		r.ContentLength = int64(len(rr.body))
	}
	return r
}

// serverRequest builds the request as net/http's server would hand it over.
func (rr *rawRequest) serverRequest(t testing.TB) *http.Request {
	t.Helper()
	r := rr.clientRequest(t)
	r.RequestURI = rr.target
	r.URL = &url.URL{Path: "/", RawQuery: r.URL.RawQuery}
	if cl := r.Header.Get("Content-Length"); cl == "" && r.Body == nil {
		r.Body = http.NoBody
	}
	return r
}

func loadSuite(t *testing.T) []suiteCase {
	t.Helper()
	if _, err := os.Stat(suiteDir); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("sigv4 suite missing at %s (relative to the package; ../shared/sigv4-suite from the module root): %v", suiteDir, err)
		}
		t.Skipf("sigv4 suite not found: ../shared/sigv4-suite (from the module root): %v", err)
	}
	ents, err := os.ReadDir(suiteDir)
	if err != nil {
		t.Fatal(err)
	}
	var cases []suiteCase
	for _, e := range ents {
		if !e.IsDir() {
			continue
		}
		dir := filepath.Join(suiteDir, e.Name())
		b, err := os.ReadFile(filepath.Join(dir, "context.json"))
		if err != nil {
			t.Fatal(err)
		}
		c := suiteCase{name: e.Name(), dir: dir}
		if err := json.Unmarshal(b, &c.ctx); err != nil {
			t.Fatalf("%s: %v", e.Name(), err)
		}
		c.now, err = time.Parse(time.RFC3339, c.ctx.Timestamp)
		if err != nil {
			t.Fatal(err)
		}
		cases = append(cases, c)
	}
	return cases
}

func readFile(t testing.TB, dir, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func (c *suiteCase) signer(t testing.TB, withToken bool) *Signer {
	t.Helper()
	creds := Credentials{AccessKeyID: c.ctx.Credentials.AccessKeyID, SecretAccessKey: c.ctx.Credentials.SecretAccessKey}
	if withToken {
		creds.SessionToken = c.ctx.Credentials.Token
	}
	s, err := NewSigner(SignerConfig{Credentials: creds, Region: c.ctx.Region, Service: c.ctx.Service, SignContentLength: true, DisableNormalization: !c.ctx.Normalize})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func (c *suiteCase) verifier(t testing.TB) *Verifier {
	t.Helper()
	creds := Credentials{AccessKeyID: c.ctx.Credentials.AccessKeyID, SecretAccessKey: c.ctx.Credentials.SecretAccessKey, SessionToken: c.ctx.Credentials.Token}
	v, err := NewVerifier(VerifierConfig{Region: c.ctx.Region, Service: c.ctx.Service, DisableNormalization: !c.ctx.Normalize,
		Credentials: StaticCredentials{creds.AccessKeyID: creds}})
	if err != nil {
		t.Fatal(err)
	}
	v.tokenAfterSigning = c.ctx.OmitSessionToken
	return v
}

func (c *suiteCase) payload(rr *rawRequest) string {
	if !c.ctx.SignBody {
		return ""
	}
	sum := sha256.Sum256(rr.body)
	return hex.EncodeToString(sum[:])
}

// signHeaderForm signs the case's request in header form and returns the canonical request,
// string to sign and signature the signer used.
func (c *suiteCase) signHeaderForm(t testing.TB) (cr, sts, sig string, r *http.Request) {
	t.Helper()
	rr := parseRawRequest(t, []byte(readFile(t, c.dir, "request.txt")))
	r = rr.clientRequest(t)
	hasToken := c.ctx.Credentials.Token != ""
	s := c.signer(t, hasToken && !c.ctx.OmitSessionToken)
	var tr trace
	if _, err := s.sign(r, c.payload(rr), c.now, &tr); err != nil {
		t.Fatal(err)
	}
	cr, sts = tr.cr, tr.sts
	a, err := ParseAuthorization(r.Header.Get("Authorization"))
	if err != nil {
		t.Fatal(err)
	}
	return cr, sts, a.Signature, r
}

// TestSuite runs the aws-c-auth v4 suite: signing (canonical request, string to sign and
// signature, header and query forms) and verification of each expected signed request, plus
// one-byte tampering (spec/sigv4.md §7.1).
func TestSuite(t *testing.T) {
	cases := loadSuite(t)
	casesOK, formsOK, forms := 0, 0, 0
	for _, c := range cases {
		caseOK := true
		for _, form := range []string{"header", "query"} {
			forms++
			ok := t.Run(c.name+"/"+form, func(t *testing.T) {
				wantCR := readFile(t, c.dir, form+"-canonical-request.txt")
				wantSTS := readFile(t, c.dir, form+"-string-to-sign.txt")
				wantSig := readFile(t, c.dir, form+"-signature.txt")
				var cr, sts, sig string
				if form == "header" {
					cr, sts, sig, _ = c.signHeaderForm(t)
				} else {
					cr, sts, sig = c.signQueryForm(t)
				}
				if cr != wantCR {
					t.Errorf("canonical request:\ngot  %q\nwant %q", cr, wantCR)
				}
				if sts != wantSTS {
					t.Errorf("string to sign:\ngot  %q\nwant %q", sts, wantSTS)
				}
				if sig != wantSig {
					t.Errorf("signature: got %q, want %q", sig, wantSig)
				}
				// The expected signed request verifies at the case's time.
				signed := parseRawRequest(t, []byte(readFile(t, c.dir, form+"-signed-request.txt")))
				v := c.verifier(t)
				if _, err := v.Verify(signed.serverRequest(t), c.now); err != nil {
					t.Errorf("verify %s-signed-request.txt: %v", form, err)
				}
				// One-byte tampering of method, path, query, a signed header or the date fails.
				for _, tamper := range tamperings(signed, form) {
					if _, err := v.Verify(tamper.req.serverRequest(t), c.now); err == nil {
						t.Errorf("tampered %s still verifies", tamper.what)
					}
				}
			})
			if ok {
				formsOK++
			} else {
				caseOK = false
			}
		}
		if caseOK {
			casesOK++
		}
	}
	t.Logf("sigv4 suite: %d/%d cases, %d/%d forms", casesOK, len(cases), formsOK, forms)
	if casesOK != len(cases) || len(cases) != 38 {
		t.Errorf("sigv4 suite: %d/%d cases pass (want 38/38)", casesOK, len(cases))
	}
}

type tampered struct {
	what string
	req  *rawRequest
}

func cloneRaw(rr *rawRequest) *rawRequest {
	c := *rr
	c.headers = append([][2]string(nil), rr.headers...)
	return &c
}

func flip(s string, i int) string {
	b := []byte(s)
	if b[i] == 'a' {
		b[i] = 'b'
	} else {
		b[i] = 'a'
	}
	return string(b)
}

func tamperings(rr *rawRequest, form string) []tampered {
	var out []tampered
	m := cloneRaw(rr)
	m.method = flip(m.method, 0)
	out = append(out, tampered{"method", m})

	p := cloneRaw(rr)
	path, query, hasQ := strings.Cut(p.target, "?")
	path += "x"
	p.target = path
	if hasQ {
		p.target += "?" + query
	}
	out = append(out, tampered{"path", p})

	q := cloneRaw(rr)
	if hasQ {
		q.target += "&extra=1"
	} else {
		q.target += "?extra=1"
	}
	out = append(out, tampered{"query", q})

	for i, h := range rr.headers {
		name := strings.ToLower(h[0])
		switch {
		case name == "host", strings.HasPrefix(name, "my-header"), name == "content-type":
			hc := cloneRaw(rr)
			hc.headers[i][1] = flip(h[1], len(h[1])-1)
			out = append(out, tampered{"header " + name, hc})
		case name == "x-amz-date" && form == "header":
			hc := cloneRaw(rr)
			hc.headers[i][1] = strings.Replace(h[1], "T1236", "T1237", 1)
			out = append(out, tampered{"date", hc})
		}
	}
	if form == "query" {
		d := cloneRaw(rr)
		d.target = strings.Replace(d.target, "X-Amz-Date=20150830T123600Z", "X-Amz-Date=20150830T123700Z", 1)
		out = append(out, tampered{"date", d})
	}
	return out
}

// signQueryForm presigns the case's request: X-Amz-Expires from the context, only the
// request's headers signed, an omitted token appended after signing (spec/sigv4.md §7.1).
func (c *suiteCase) signQueryForm(t testing.TB) (cr, sts, sig string) {
	t.Helper()
	rr := parseRawRequest(t, []byte(readFile(t, c.dir, "request.txt")))
	r := rr.clientRequest(t)
	hasToken := c.ctx.Credentials.Token != ""
	s := c.signer(t, hasToken && !c.ctx.OmitSessionToken)
	exp := time.Duration(c.ctx.Expiration) * time.Second
	var tr trace
	u, err := s.presign(r, c.payload(rr), exp, c.now, &tr)
	if err != nil {
		t.Fatal(err)
	}
	cr, sts = tr.cr, tr.sts
	i := strings.LastIndex(u, "X-Amz-Signature=")
	return cr, sts, u[i+len("X-Amz-Signature="):]
}
