package cfsign

import (
	"crypto/ecdsa"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/json"
	"net/netip"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"
)

// vector is one file of testdata/vectors, made by testdata/gen_vectors.py with the aws CLI and
// botocore (never with signet).
type vector struct {
	Name            string            `json:"name"`
	Generator       string            `json:"generator"`
	Algorithm       string            `json:"algorithm"`
	Hash            HashAlgorithm     `json:"hash"`
	KeyPairID       string            `json:"key_pair_id"`
	PrivateKey      string            `json:"private_key"`
	PublicKey       string            `json:"public_key"`
	URL             string            `json:"url"`
	DateLessThan    int64             `json:"date_less_than"`
	DateGreaterThan *int64            `json:"date_greater_than"`
	IPAddress       string            `json:"ip_address"`
	PolicyResource  string            `json:"policy_resource"`
	AllowIPv6       bool              `json:"allow_ipv6"`
	Carrier         string            `json:"carrier"`
	VerifyAt        int64             `json:"verify_at"`
	ClientIP        string            `json:"client_ip"`
	Randomized      bool              `json:"randomized"`
	ViewURL         string            `json:"view_url"`
	Policy          string            `json:"policy"`
	ExpectedURL     string            `json:"expected_url"`
	ExpectedCookies map[string]string `json:"expected_cookies"`
}

func (v *vector) params() SignParams {
	p := SignParams{Expires: time.Unix(v.DateLessThan, 0), IPAddress: v.IPAddress, Resource: v.PolicyResource}
	if v.DateGreaterThan != nil {
		p.NotBefore = time.Unix(*v.DateGreaterThan, 0)
	}
	return p
}

func (v *vector) custom() bool {
	return v.DateGreaterThan != nil || v.IPAddress != "" || v.PolicyResource != ""
}

func loadVectors(t *testing.T) []*vector {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("testdata", "vectors", "*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no vectors: %v", err)
	}
	var vs []*vector
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		v := new(vector)
		dec := json.NewDecoder(strings.NewReader(string(data)))
		dec.DisallowUnknownFields()
		if err := dec.Decode(v); err != nil {
			// description is informative only
			v = new(vector)
			if err := json.Unmarshal(data, v); err != nil {
				t.Fatalf("%s: %v", f, err)
			}
		}
		vs = append(vs, v)
	}
	return vs
}

// withoutSignature drops the Signature piece of a signed URL (ECDSA signatures are randomized).
func withoutSignature(u string) string {
	base, q, _ := strings.Cut(u, "?")
	var keep []string
	for _, p := range strings.Split(q, "&") {
		if !strings.HasPrefix(p, "Signature=") {
			keep = append(keep, p)
		}
	}
	return base + "?" + strings.Join(keep, "&")
}

func queryValue(u, name string) string {
	_, q, _ := strings.Cut(u, "?")
	for _, p := range strings.Split(q, "&") {
		if n, val, _ := strings.Cut(p, "="); n == name {
			return val
		}
	}
	return ""
}

// checkIndependently verifies sig over policy with crypto/ecdsa directly, not with cfsign.
func checkIndependently(t *testing.T, v *vector, policy []byte, sigB64 string) {
	t.Helper()
	sig, ok := decodeBase64(sigB64)
	if !ok {
		t.Fatalf("signature %q is not CloudFront base64", sigB64)
	}
	var digest []byte
	if v.Hash == SHA256 {
		d := sha256.Sum256(policy)
		digest = d[:]
	} else {
		d := sha1.Sum(policy)
		digest = d[:]
	}
	if !ecdsa.VerifyASN1(loadPub(t, filepath.Base(v.PublicKey)).(*ecdsa.PublicKey), digest, sig) {
		t.Errorf("signet's ECDSA signature does not verify with crypto/ecdsa over the peer's policy")
	}
}

func TestVectors(t *testing.T) {
	for _, v := range loadVectors(t) {
		t.Run(v.Name, func(t *testing.T) {
			t.Parallel()
			s, err := NewSigner(v.KeyPairID, loadPriv(t, filepath.Base(v.PrivateKey)), &SignerOptions{Hash: v.Hash, AllowIPv6: v.AllowIPv6})
			if err != nil {
				t.Fatal(err)
			}
			if v.custom() {
				p, err := ParsePolicy([]byte(v.Policy))
				if err != nil {
					t.Fatalf("ParsePolicy(peer policy): %v", err)
				}
				if got := string(p.Marshal()); got != v.Policy {
					t.Errorf("Marshal:\n got %s\nwant %s", got, v.Policy)
				}
			} else if got := string(CannedPolicy(v.URL, v.DateLessThan)); got != v.Policy {
				t.Errorf("CannedPolicy:\n got %s\nwant %s", got, v.Policy)
			}

			ver, err := NewVerifier([]KeyGroup{{Name: "default", Keys: []TrustedKey{
				{ID: v.KeyPairID, PublicKey: loadPub(t, filepath.Base(v.PublicKey)), Algorithms: []HashAlgorithm{v.Hash}},
			}}}, &VerifierOptions{AllowIPv6: v.AllowIPv6, CacheSize: -1})
			if err != nil {
				t.Fatal(err)
			}
			now := time.Unix(v.VerifyAt, 0)
			ip := netip.MustParseAddr(v.ClientIP)
			wantKind := Canned
			if v.custom() {
				wantKind = Custom
			}

			switch v.Carrier {
			case "query":
				got, err := s.SignURL(v.URL, v.params())
				if err != nil {
					t.Fatal(err)
				}
				if v.Randomized {
					if withoutSignature(got) != withoutSignature(v.ExpectedURL) {
						t.Errorf("SignURL without signature:\n got %q\nwant %q", withoutSignature(got), withoutSignature(v.ExpectedURL))
					}
					checkIndependently(t, v, []byte(v.Policy), queryValue(got, "Signature"))
				} else if got != v.ExpectedURL {
					t.Errorf("SignURL:\n got %q\nwant %q", got, v.ExpectedURL)
				}
				// The peer's URL verifies in signet, at the viewer URL the vector names.
				signing := v.ExpectedURL[len(v.URL)+1:]
				view := v.ViewURL + "?" + signing
				if strings.Contains(v.ViewURL, "?") {
					view = v.ViewURL + "&" + signing
				}
				g, err := ver.VerifyURL(view, ip, now, "")
				if err != nil {
					t.Fatalf("peer URL refused: %v", err)
				}
				if g.Kind != wantKind || g.Hash != v.Hash || g.Carrier != Query || g.KeyPairID != v.KeyPairID {
					t.Errorf("grant = %+v", g)
				}
			case "cookie":
				cs, err := s.SignCookies(v.URL, v.params())
				if err != nil {
					t.Fatal(err)
				}
				got := map[string]string{}
				for _, c := range cs {
					got[c.Name] = c.Value
				}
				if v.Randomized {
					checkIndependently(t, v, []byte(v.Policy), got["CloudFront-Signature"])
					delete(got, "CloudFront-Signature")
				}
				for name, want := range v.ExpectedCookies {
					if v.Randomized && name == "CloudFront-Signature" {
						continue
					}
					if got[name] != want {
						t.Errorf("cookie %s = %q, want %q", name, got[name], want)
					}
					delete(got, name)
				}
				if len(got) != 0 {
					t.Errorf("extra cookies %v", got)
				}
				var names []string
				for n := range v.ExpectedCookies {
					names = append(names, n)
				}
				sort.Strings(names)
				var hdr []string
				for _, n := range names {
					hdr = append(hdr, n+"="+v.ExpectedCookies[n])
				}
				g, err := ver.VerifyURL(v.ViewURL, ip, now, "session=x; "+strings.Join(hdr, "; "))
				if err != nil {
					t.Fatalf("peer cookies refused: %v", err)
				}
				if g.Kind != wantKind || g.Hash != v.Hash || g.Carrier != Cookie {
					t.Errorf("grant = %+v", g)
				}
			default:
				t.Fatalf("carrier %q", v.Carrier)
			}
		})
	}
}
