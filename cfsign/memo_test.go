package cfsign

import (
	"errors"
	"math/rand/v2"
	"net/netip"
	"strings"
	"testing"
	"time"
)

// TestGrantMemoMatchesFull: a verifier with the grant memo and one with no caches at all give
// the same answer (the same rejection reason, or the same grant) for every request, time and
// client address, in any order: a remembered success never outlives a condition, and never
// carries over to a request that differs in any byte.
func TestGrantMemoMatchesFull(t *testing.T) {
	for _, skew := range []time.Duration{0, 30 * time.Second} {
		memo := testVerifier(t, &VerifierOptions{Skew: skew})
		plain := testVerifier(t, &VerifierOptions{Skew: skew, CacheSize: -1})
		if memo.memo == nil || plain.memo != nil {
			t.Fatal("memo should be on by default and off with CacheSize < 0")
		}
		views := memoViewers(t)
		times := []time.Time{t0.Add(-2 * time.Hour), t0.Add(-time.Hour), t0.Add(-59 * time.Minute), t0,
			tExpires.Add(-31 * time.Second), tExpires.Add(-time.Second), tExpires, tExpires.Add(29 * time.Second),
			tExpires.Add(31 * time.Second)}
		ips := []netip.Addr{clientIP, netip.MustParseAddr("::ffff:192.0.2.10"), netip.MustParseAddr("198.51.100.7"),
			netip.MustParseAddr("2001:db8::1"), {}}
		rng := rand.New(rand.NewPCG(1, uint64(skew)))
		hits := 0
		for i := 0; i < 4000; i++ {
			vw := views[rng.IntN(len(views))]
			vw.Now = times[rng.IntN(len(times))]
			vw.ClientIP = ips[rng.IntN(len(ips))]
			var gm, gp Grant
			em := memo.VerifyTo(&vw, &gm)
			ep := plain.VerifyTo(&vw, &gp)
			if reasonOf(em) != reasonOf(ep) {
				t.Fatalf("skew %v, %s://%s%s cookie %q at %d from %v: memo %v, full %v", skew, vw.Scheme, vw.Host,
					vw.RequestURI, vw.Cookie, vw.Now.Unix(), vw.ClientIP, em, ep)
			}
			if em == nil {
				hits += btoi(gm.Cached)
				gm.Cached = false
				if gm.KeyPairID != gp.KeyPairID || gm.Hash != gp.Hash || gm.Kind != gp.Kind || gm.Carrier != gp.Carrier ||
					*gm.Policy != *gp.Policy || !gm.Expires.Equal(gp.Expires) || gm.Path != gp.Path || gm.Query != gp.Query {
					t.Fatalf("grants differ for %s: memo %+v, full %+v", vw.RequestURI, gm, gp)
				}
			}
		}
		if hits == 0 {
			t.Fatal("the memo never answered: the test checks nothing")
		}
	}
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

func reasonOf(err error) string {
	if err == nil {
		return "ok"
	}
	var re *RejectError
	if !errors.As(err, &re) {
		return "error " + err.Error()
	}
	return re.Reason.String()
}

// memoViewers: signed URLs and cookies (canned, custom with a start time and an IP range,
// wildcard), and near misses of them: another host, scheme, path, query, cookie or byte.
func memoViewers(t *testing.T) []Viewer {
	t.Helper()
	rsaS, err := NewSigner(rsaKeyID, loadPriv(t, "rsa_private.pem"), nil)
	if err != nil {
		t.Fatal(err)
	}
	ecS, err := NewSigner(ecKeyID, loadPriv(t, "ecdsa_private.pem"), &SignerOptions{Hash: SHA256})
	if err != nil {
		t.Fatal(err)
	}
	var out []Viewer
	add := func(raw, cookie string) {
		vw, err := ViewerFromURL(raw, netip.Addr{}, t0, cookie)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, *vw)
	}
	variants := func(signed, cookie string) {
		add(signed, cookie)
		add(strings.Replace(signed, "https://", "http://", 1), cookie)
		add(strings.Replace(signed, "d111.example.net", "d222.example.net", 1), cookie)
		add(strings.Replace(signed, "/media/", "/medib/", 1), cookie)
		add(signed+"&x=1", cookie)
		add(signed, cookie+"; a=b")
		i := len(signed) - 5
		add(signed[:i]+string(signed[i]^1)+signed[i+1:], cookie)
	}
	params := []SignParams{
		{Expires: tExpires},
		{Expires: tExpires, NotBefore: t0.Add(-time.Hour)},
		{Expires: tExpires, IPAddress: "192.0.2.0/24"},
		{Expires: tExpires, NotBefore: t0.Add(-time.Hour), IPAddress: "192.0.2.10", Resource: "https://d111.example.net/media/*"},
	}
	for _, s := range []*Signer{rsaS, ecS} {
		for _, p := range params {
			u, err := s.SignURL("https://d111.example.net/media/a.mp4?v=2", p)
			if err != nil {
				t.Fatal(err)
			}
			variants(u, "")
			if p.Resource == "" {
				p.Resource = "https://d111.example.net/media/a.mp4?v=2"
			}
			cs, err := s.SignCookies("https://d111.example.net/media/a.mp4?v=2", p)
			if err != nil {
				t.Fatal(err)
			}
			variants("https://d111.example.net/media/a.mp4?v=2", cookieHeader(cs))
		}
	}
	return out
}
