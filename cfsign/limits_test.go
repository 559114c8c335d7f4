package cfsign

import (
	"strconv"
	"strings"
	"testing"
	"time"
)

// Every limit of spec/cloudfront.md §9.8/§9.1 at n-1, n and n+1.

func policyOfSize(t *testing.T, n int) []byte {
	t.Helper()
	base := `{"Statement":[{"Resource":"https://a.example/*","Condition":{"DateLessThan":{"AWS:EpochTime":1767290400}}}]}`
	if n < len(base) {
		t.Fatalf("size %d too small", n)
	}
	return []byte(base[:1] + strings.Repeat(" ", n-len(base)) + base[1:])
}

func TestLimitPolicyBytes(t *testing.T) {
	s, err := NewSigner(rsaKeyID, loadPriv(t, "rsa_private.pem"), nil)
	if err != nil {
		t.Fatal(err)
	}
	v := testVerifier(t, &VerifierOptions{CacheSize: -1})
	for _, tc := range []struct {
		n    int
		want Reason // 0 = admitted
	}{{MaxPolicyBytes - 1, 0}, {MaxPolicyBytes, 0}, {MaxPolicyBytes + 1, MalformedPolicy}} {
		t.Run(strconv.Itoa(tc.n), func(t *testing.T) {
			pol := policyOfSize(t, tc.n)
			_, perr := ParsePolicy(pol)
			sig, err := s.signPolicy(pol)
			if err != nil {
				t.Fatal(err)
			}
			// A policy this large only fits in cookies: the URL limit is 8192 bytes.
			c := "CloudFront-Policy=" + encodeBase64(pol) + "; CloudFront-Signature=" + encodeBase64(sig) + "; CloudFront-Key-Pair-Id=" + rsaKeyID
			_, err = v.Verify(&Viewer{Scheme: "https", Host: "a.example", RequestURI: "/x", Cookie: c, Now: t0})
			if tc.want == 0 {
				if perr != nil || err != nil {
					t.Fatalf("parse %v, verify %v", perr, err)
				}
				return
			}
			wantReason(t, perr, tc.want)
			wantReason(t, err, tc.want)
		})
	}
}

func TestLimitSignatureParam(t *testing.T) {
	v := testVerifier(t, &VerifierOptions{CacheSize: -1})
	for _, tc := range []struct {
		n    int
		want Reason
	}{{MaxSignatureParam - 4, BadSignature}, {MaxSignatureParam, BadSignature}, {MaxSignatureParam + 4, MalformedSignature}, {MaxSignatureParam + 1, MalformedSignature}} {
		t.Run(strconv.Itoa(tc.n), func(t *testing.T) {
			target := "/x?Expires=1767290400&Signature=" + strings.Repeat("A", tc.n) + "&Key-Pair-Id=" + rsaKeyID
			_, err := v.Verify(&Viewer{Scheme: "https", Host: "a.example", RequestURI: target, Now: t0})
			wantReason(t, err, tc.want)
		})
	}
}

func TestLimitKeyPairID(t *testing.T) {
	v := testVerifier(t, &VerifierOptions{CacheSize: -1})
	for _, tc := range []struct {
		n    int
		want Reason
	}{{127, UnknownKey}, {128, UnknownKey}, {129, MissingKey}, {0, MissingKey}} {
		t.Run(strconv.Itoa(tc.n), func(t *testing.T) {
			target := "/x?Expires=1767290400&Signature=AAAA&Key-Pair-Id=" + strings.Repeat("K", tc.n)
			_, err := v.Verify(&Viewer{Scheme: "https", Host: "a.example", RequestURI: target, Now: t0})
			wantReason(t, err, tc.want)
		})
	}
}

func TestLimitQueryPieces(t *testing.T) {
	v := testVerifier(t, &VerifierOptions{CacheSize: -1})
	for _, tc := range []struct {
		n    int
		want Reason
	}{{MaxQueryPieces - 1, UnknownKey}, {MaxQueryPieces, UnknownKey}, {MaxQueryPieces + 1, TooLarge}} {
		t.Run(strconv.Itoa(tc.n), func(t *testing.T) {
			own := strings.Repeat("a=1&", tc.n-3)
			target := "/x?" + own + "Expires=1&Signature=AAAA&Key-Pair-Id=KUNKNOWN"
			_, err := v.Verify(&Viewer{Scheme: "https", Host: "a.example", RequestURI: target, Now: t0})
			wantReason(t, err, tc.want)
		})
	}
}

func TestLimitURLAndCookieBytes(t *testing.T) {
	v := testVerifier(t, &VerifierOptions{CacheSize: -1})
	const fixed = "https://a.example" // 17 bytes counted with the target
	tail := "?Expires=1&Signature=AAAA&Key-Pair-Id=KUNKNOWN"
	for _, tc := range []struct {
		n    int
		want Reason
	}{{MaxURLBytes - 1, UnknownKey}, {MaxURLBytes, UnknownKey}, {MaxURLBytes + 1, TooLarge}} {
		t.Run("url-"+strconv.Itoa(tc.n), func(t *testing.T) {
			target := "/" + strings.Repeat("p", tc.n-len(fixed)-len(tail)-1) + tail
			_, err := v.Verify(&Viewer{Scheme: "https", Host: "a.example", RequestURI: target, Now: t0})
			wantReason(t, err, tc.want)
		})
	}
	for _, tc := range []struct {
		n    int
		want Reason
	}{{MaxHeaderBytes - 1, UnknownKey}, {MaxHeaderBytes, UnknownKey}, {MaxHeaderBytes + 1, TooLarge}} {
		t.Run("cookie-"+strconv.Itoa(tc.n), func(t *testing.T) {
			c := "CloudFront-Expires=1; CloudFront-Signature=AAAA; CloudFront-Key-Pair-Id=KUNKNOWN; p="
			c += strings.Repeat("v", tc.n-len(c))
			_, err := v.Verify(&Viewer{Scheme: "https", Host: "a.example", RequestURI: "/x", Cookie: c, Now: t0})
			wantReason(t, err, tc.want)
		})
	}
}

func TestLimitSignerURL(t *testing.T) {
	s, err := NewSigner(rsaKeyID, loadPriv(t, "rsa_private.pem"), nil)
	if err != nil {
		t.Fatal(err)
	}
	probe, err := s.SignURL("https://a.example/x", SignParams{Expires: tExpires})
	if err != nil {
		t.Fatal(err)
	}
	overhead := len(probe) - len("https://a.example/x")
	for _, tc := range []struct {
		n  int
		ok bool
	}{{MaxURLBytes - 1, true}, {MaxURLBytes, true}, {MaxURLBytes + 1, false}} {
		t.Run(strconv.Itoa(tc.n), func(t *testing.T) {
			u := "https://a.example/" + strings.Repeat("x", tc.n-overhead-len("https://a.example/"))
			got, err := s.SignURL(u, SignParams{Expires: tExpires})
			if tc.ok != (err == nil) {
				t.Fatalf("len %d: err %v", len(got), err)
			}
			if tc.ok && len(got) != tc.n {
				t.Fatalf("len = %d, want %d", len(got), tc.n)
			}
		})
	}
}

func TestTimeBoundaries(t *testing.T) {
	s, _ := NewSigner(rsaKeyID, loadPriv(t, "rsa_private.pem"), nil)
	u, err := s.SignURL("https://a.example/x", SignParams{Expires: tExpires, NotBefore: t0})
	if err != nil {
		t.Fatal(err)
	}
	for _, skew := range []time.Duration{0, 30 * time.Second} {
		v := testVerifier(t, &VerifierOptions{CacheSize: -1, Skew: skew})
		for _, tc := range []struct {
			now  time.Time
			want Reason
		}{
			{t0.Add(-skew), NotYetValid},          // now == DGT: denied at its time
			{t0.Add(-skew + time.Second), 0},      // just after
			{tExpires.Add(skew - time.Second), 0}, // last valid second
			{tExpires.Add(skew), Expired},         // now == DLT is expired
			{tExpires.Add(skew + 999*time.Millisecond), Expired},
		} {
			_, err := v.VerifyURL(u, clientIP, tc.now, "")
			if tc.want == 0 {
				if err != nil {
					t.Errorf("skew %v now %d: %v", skew, tc.now.Unix(), err)
				}
				continue
			}
			wantReason(t, err, tc.want)
		}
	}
}
