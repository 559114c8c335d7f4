package cfsign

import (
	"fmt"
	"strings"
	"time"
)

// Explanation is the full account of one verification, for `signet explain`: what was decoded
// and every check in order with its outcome. Unlike Verify it carries on after a failure where
// the data allows, so a request with several problems shows them all; the first failure is the
// one Verify reports.
type Explanation struct {
	Steps      []Step        // checks in order
	Err        error         // the first failure (a *RejectError), nil if admitted
	Grant      *Grant        // the grant when admitted
	Carrier    Carrier       // where the signing parameters came from
	KeyPairID  string        // decoded Key-Pair-Id ("" if none)
	Hash       HashAlgorithm // the algorithm the request names (SHA1 when absent)
	Kind       PolicyKind    // canned (Expires) or custom (Policy)
	PolicyJSON string        // the signed policy bytes, as decoded
	Policy     *Policy       // the parsed policy, nil if it did not parse
	Now        time.Time     // the time checked against
	Warnings   []string      // things that verify but look wrong (millisecond epochs, short lifetimes)
}

// Step is one check of an [Explanation].
type Step struct {
	Check  string // short name: request, key, signature, policy, algorithm, verify, expiry, start, ip, resource
	OK     bool
	Detail string
}

func (x *Explanation) add(check string, ok bool, detail string) {
	x.Steps = append(x.Steps, Step{Check: check, OK: ok, Detail: detail})
}

// OK reports whether the request would be admitted.
func (x *Explanation) OK() bool { return x.Err == nil }

// Explain verifies req like [Verifier.Verify] (without the signature cache) and records
// everything it decodes and every check it makes.
func (v *Verifier) Explain(req *Viewer) *Explanation {
	x := &Explanation{}
	if req != nil {
		x.Now = req.Now
	}
	g, re := v.verify(req, x)
	if re != nil {
		x.Err = re
	} else {
		x.Grant = g
	}
	if p := x.Policy; p != nil {
		if p.DateLessThan >= 1e11 {
			x.Warnings = append(x.Warnings, fmt.Sprintf("DateLessThan %d is ≥ 10^11: an epoch in milliseconds? CloudFront reads seconds (year %d)", p.DateLessThan, yearOf(p.DateLessThan)))
		}
		if p.HasDateGreaterThan && p.DateGreaterThan >= 1e11 {
			x.Warnings = append(x.Warnings, fmt.Sprintf("DateGreaterThan %d is ≥ 10^11: an epoch in milliseconds?", p.DateGreaterThan))
		}
		if p.HasDateGreaterThan && p.DateLessThan-p.DateGreaterThan <= 60 && p.DateLessThan > p.DateGreaterThan {
			x.Warnings = append(x.Warnings, fmt.Sprintf("lifetime of %d seconds: clock drift between signer, edge and viewer can refuse it; sign for minutes", p.DateLessThan-p.DateGreaterThan))
		} else if left := p.DateLessThan - x.Now.Unix(); left > 0 && left <= 30 {
			x.Warnings = append(x.Warnings, fmt.Sprintf("expires in %d seconds: a 30-second lifetime fails under clock drift; sign for minutes", left))
		}
		if x.Kind == Custom && !p.HasResource {
			x.Warnings = append(x.Warnings, "the policy has no Resource: it opens every URL trusting this key")
		}
	}
	return x
}

func yearOf(t int64) int {
	if t > 1<<40 {
		return 0
	}
	return time.Unix(t, 0).UTC().Year()
}

// String renders the explanation as lines: the decoded request, then "✓ …" / "✗ reason: …" per
// check, "⚠ …" warnings and a verdict. Signatures are never printed.
func (x *Explanation) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "carrier: %s\n", x.Carrier)
	if x.KeyPairID != "" {
		fmt.Fprintf(&b, "key pair id: %s\n", x.KeyPairID)
	}
	fmt.Fprintf(&b, "algorithm: %s\n", x.Hash)
	if x.PolicyJSON != "" {
		fmt.Fprintf(&b, "policy (%s): %s\n", x.Kind, x.PolicyJSON)
	}
	if p := x.Policy; p != nil {
		fmt.Fprintf(&b, "  resource: %s\n", resourceOf(p))
		fmt.Fprintf(&b, "  date less than: %s\n", fmtEpoch(p.DateLessThan))
		if p.HasDateGreaterThan {
			fmt.Fprintf(&b, "  date greater than: %s\n", fmtEpoch(p.DateGreaterThan))
		}
		if p.IPAddress != "" {
			fmt.Fprintf(&b, "  source ip: %s\n", p.IPAddress)
		}
	}
	if !x.Now.IsZero() {
		fmt.Fprintf(&b, "now: %s (%d)\n", x.Now.UTC().Format(time.RFC3339), x.Now.Unix())
	}
	for _, s := range x.Steps {
		if s.OK {
			fmt.Fprintf(&b, "✓ %s\n", s.Detail)
		} else {
			fmt.Fprintf(&b, "✗ %s\n", s.Detail)
		}
	}
	for _, w := range x.Warnings {
		fmt.Fprintf(&b, "⚠ %s\n", w)
	}
	if x.Err == nil {
		b.WriteString("admitted\n")
	} else if re, ok := x.Err.(*RejectError); ok {
		fmt.Fprintf(&b, "refused: %s (CloudFront answers %s)\n", re.Reason, re.Code())
	}
	return b.String()
}
