package cfsign

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/netip"
	"strconv"
	"strings"
)

// Policy is a decoded CloudFront policy statement (spec/cloudfront.md §3, §4). Policies returned
// by [ParsePolicy] and held in a [Grant] are shared and must be treated as read-only.
type Policy struct {
	Resource           string // the Resource pattern; meaningful when HasResource
	HasResource        bool   // false: Resource absent, which means "*" (every URL)
	DateLessThan       int64  // AWS:EpochTime of DateLessThan, Unix seconds (required)
	DateGreaterThan    int64  // AWS:EpochTime of DateGreaterThan; meaningful when HasDateGreaterThan
	HasDateGreaterThan bool
	IPAddress          string // AWS:SourceIp as written ("" = no IP condition)
}

// MaxPolicyBytes bounds a received policy's JSON (spec/cloudfront.md §9.1).
const MaxPolicyBytes = 6144

// CannedPolicy returns the canned policy bytes for resource and expires (spec/cloudfront.md
// §3.1). resource is spliced verbatim, never JSON-escaped, exactly as CloudFront and every AWS
// signer do: encoding/json would write '&' as \u0026 and break URLs with two query parameters.
func CannedPolicy(resource string, expires int64) []byte {
	return appendCanned(make([]byte, 0, len(resource)+96), resource, expires)
}

const (
	cannedPrefix = `{"Statement":[{"Resource":"`
	cannedMiddle = `","Condition":{"DateLessThan":{"AWS:EpochTime":`
	cannedSuffix = `}}}]}`
)

func appendCanned(b []byte, resource string, expires int64) []byte {
	b = append(b, cannedPrefix...)
	b = append(b, resource...)
	b = append(b, cannedMiddle...)
	b = strconv.AppendInt(b, expires, 10)
	return append(b, cannedSuffix...)
}

// appendCannedParts is appendCanned with the resource given as scheme://host path[?q].
func appendCannedParts(b []byte, scheme, host, path string, hasQuery bool, q string, expires string) []byte {
	b = append(b, cannedPrefix...)
	b = append(b, scheme...)
	b = append(b, "://"...)
	b = append(b, host...)
	b = append(b, path...)
	if hasQuery {
		b = append(b, '?')
		b = append(b, q...)
	}
	b = append(b, cannedMiddle...)
	b = append(b, expires...)
	return append(b, cannedSuffix...)
}

// Marshal returns the policy as compact JSON in botocore's key order (spec/cloudfront.md §4.2):
// Resource, then Condition with DateLessThan, IpAddress, DateGreaterThan; absent parts omitted.
// Strings are escaped as Python's json.dumps does ('"', '\\' and control bytes only), so '&' and
// '/' stay literal. It does not use encoding/json.
func (p *Policy) Marshal() []byte {
	b := make([]byte, 0, 160+len(p.Resource)+len(p.IPAddress))
	b = append(b, `{"Statement":[{`...)
	if p.HasResource {
		b = append(b, `"Resource":`...)
		b = appendJSONString(b, p.Resource)
		b = append(b, ',')
	}
	b = append(b, `"Condition":{"DateLessThan":{"AWS:EpochTime":`...)
	b = strconv.AppendInt(b, p.DateLessThan, 10)
	b = append(b, '}')
	if p.IPAddress != "" {
		b = append(b, `,"IpAddress":{"AWS:SourceIp":`...)
		b = appendJSONString(b, p.IPAddress)
		b = append(b, '}')
	}
	if p.HasDateGreaterThan {
		b = append(b, `,"DateGreaterThan":{"AWS:EpochTime":`...)
		b = strconv.AppendInt(b, p.DateGreaterThan, 10)
		b = append(b, '}')
	}
	return append(b, `}}]}`...)
}

// appendJSONString writes s as a JSON string the way Python's json.dumps(ensure_ascii=True) does.
func appendJSONString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"' || c == '\\':
			b = append(b, '\\', c)
		case c == '\n':
			b = append(b, `\n`...)
		case c == '\r':
			b = append(b, `\r`...)
		case c == '\t':
			b = append(b, `\t`...)
		case c < 0x20 || c >= 0x7f:
			// Only reachable for policies built by hand: parsed and signed resources are
			// printable ASCII.
			b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&15])
		default:
			b = append(b, c)
		}
	}
	return append(b, '"')
}

// policyError is the error of every policy parse failure.
func policyError(detail string) *RejectError { return reject(MalformedPolicy, detail) }

// ParsePolicy parses a received custom policy (spec/cloudfront.md §9.1): tolerant of layout
// (whitespace around tokens, CRLFs, any key order) and strict on content. It walks
// json.Decoder tokens, so duplicate keys, case variants ("resource"), unknown keys, wrong
// types, quoted, signed, fractional or exponent epochs and trailing data are all refused. The
// input must be printable ASCII or JSON whitespace and at most [MaxPolicyBytes] long. The
// Resource, when present, must be non-empty printable ASCII and a valid pattern (§9.5); the
// IpAddress an IPv4 (or, syntactically, IPv6) address or CIDR (§9.6).
//
// On error the policy is nil and the error is a [*RejectError] with Reason [MalformedPolicy].
func ParsePolicy(b []byte) (*Policy, error) {
	p, err := parsePolicy(b)
	if err != nil {
		return nil, err
	}
	return p, nil
}

func parsePolicy(b []byte) (*Policy, *RejectError) {
	if len(b) == 0 {
		return nil, policyError("empty policy")
	}
	if len(b) > MaxPolicyBytes {
		return nil, policyError("policy longer than " + strconv.Itoa(MaxPolicyBytes) + " bytes")
	}
	for _, c := range b {
		if (c < 0x20 || c > 0x7e) && c != ' ' && c != '\t' && c != '\r' && c != '\n' {
			return nil, policyError("policy holds a byte outside printable ASCII")
		}
	}
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	w := walker{d: d}
	p := new(Policy)
	if err := w.policy(p); err != nil {
		return nil, policyError(err.Error())
	}
	// Data after the value (a second document, junk) is refused.
	if _, err := d.Token(); err != io.EOF {
		return nil, policyError("data after the policy")
	}
	if p.HasResource {
		if p.Resource == "" {
			return nil, policyError("empty Resource")
		}
		for i := 0; i < len(p.Resource); i++ {
			if c := p.Resource[i]; c < 0x21 || c > 0x7e {
				return nil, policyError("Resource holds a byte outside printable ASCII")
			}
		}
		if _, ok := compilePattern(p.Resource); !ok {
			return nil, policyError("Resource has no protocol:// and does not start with *")
		}
	}
	if p.IPAddress != "" {
		if _, err := parseSourceIP(p.IPAddress, true); err != nil {
			return nil, policyError(err.Error())
		}
	}
	return p, nil
}

// walker walks the tokens of one policy document.
type walker struct{ d *json.Decoder }

var errSyntax = errors.New("not valid JSON")

func (w *walker) tok() (json.Token, error) {
	t, err := w.d.Token()
	if err != nil {
		return nil, errSyntax
	}
	return t, nil
}

func (w *walker) delim(want json.Delim, what string) error {
	t, err := w.tok()
	if err != nil {
		return err
	}
	if d, ok := t.(json.Delim); !ok || d != want {
		return errors.New(what + " has the wrong type")
	}
	return nil
}

// object walks an object whose opening brace was read, calling field for each key; duplicate
// keys are refused.
func (w *walker) object(what string, field func(key string) error) error {
	seen := make([]string, 0, 4)
	for {
		t, err := w.tok()
		if err != nil {
			return err
		}
		if d, ok := t.(json.Delim); ok && d == '}' {
			return nil
		}
		k, ok := t.(string)
		if !ok {
			return errSyntax
		}
		for _, s := range seen {
			if s == k {
				return errors.New("duplicate key " + strconv.Quote(k) + " in " + what)
			}
		}
		seen = append(seen, k)
		if err := field(k); err != nil {
			return err
		}
	}
}

func unknownKey(k, what string) error {
	if len(k) > 40 {
		k = k[:40] + "…"
	}
	return errors.New("unknown key " + strconv.Quote(k) + " in " + what)
}

func (w *walker) policy(p *Policy) error {
	if err := w.delim('{', "policy"); err != nil {
		return err
	}
	hasStatement := false
	err := w.object("policy", func(k string) error {
		if k != "Statement" {
			return unknownKey(k, "policy")
		}
		hasStatement = true
		if err := w.delim('[', "Statement"); err != nil {
			return errors.New("Statement is not an array of one object")
		}
		if err := w.delim('{', "Statement"); err != nil {
			return errors.New("Statement is not an array of one object")
		}
		if err := w.statement(p); err != nil {
			return err
		}
		if err := w.delim(']', "Statement"); err != nil {
			return errors.New("Statement is not an array of one object")
		}
		return nil
	})
	if err != nil {
		return err
	}
	if !hasStatement {
		return errors.New("no Statement")
	}
	return nil
}

func (w *walker) statement(p *Policy) error {
	hasCondition := false
	err := w.object("Statement", func(k string) error {
		switch k {
		case "Resource":
			s, err := w.str("Resource")
			if err != nil {
				return err
			}
			p.Resource, p.HasResource = s, true
			return nil
		case "Condition":
			hasCondition = true
			if err := w.delim('{', "Condition"); err != nil {
				return err
			}
			return w.condition(p)
		default:
			return unknownKey(k, "Statement")
		}
	})
	if err != nil {
		return err
	}
	if !hasCondition {
		return errors.New("no Condition")
	}
	return nil
}

func (w *walker) condition(p *Policy) error {
	hasDLT := false
	err := w.object("Condition", func(k string) error {
		switch k {
		case "DateLessThan":
			v, err := w.epoch("DateLessThan")
			if err != nil {
				return err
			}
			p.DateLessThan, hasDLT = v, true
		case "DateGreaterThan":
			v, err := w.epoch("DateGreaterThan")
			if err != nil {
				return err
			}
			p.DateGreaterThan, p.HasDateGreaterThan = v, true
		case "IpAddress":
			if err := w.delim('{', "IpAddress"); err != nil {
				return err
			}
			found := false
			err := w.object("IpAddress", func(k string) error {
				if k != "AWS:SourceIp" {
					return unknownKey(k, "IpAddress")
				}
				s, err := w.str("AWS:SourceIp")
				if err != nil {
					return err
				}
				if s == "" {
					return errors.New("empty AWS:SourceIp")
				}
				p.IPAddress, found = s, true
				return nil
			})
			if err != nil {
				return err
			}
			if !found {
				return errors.New("IpAddress without AWS:SourceIp")
			}
		default:
			return unknownKey(k, "Condition")
		}
		return nil
	})
	if err != nil {
		return err
	}
	if !hasDLT {
		return errors.New("no DateLessThan")
	}
	return nil
}

func (w *walker) str(what string) (string, error) {
	t, err := w.tok()
	if err != nil {
		return "", err
	}
	s, ok := t.(string)
	if !ok {
		return "", errors.New(what + " is not a string")
	}
	return s, nil
}

// epoch reads {"AWS:EpochTime": N}.
func (w *walker) epoch(what string) (int64, error) {
	if err := w.delim('{', what); err != nil {
		return 0, err
	}
	var v int64
	found := false
	err := w.object(what, func(k string) error {
		if k != "AWS:EpochTime" {
			return unknownKey(k, what)
		}
		t, err := w.tok()
		if err != nil {
			return err
		}
		n, ok := t.(json.Number)
		if !ok {
			return errors.New(what + " AWS:EpochTime is not a bare integer")
		}
		e, ok := parseEpoch(string(n))
		if !ok {
			return errors.New(what + " AWS:EpochTime is not 1-19 plain digits within int64")
		}
		v, found = e, true
		return nil
	})
	if err != nil {
		return 0, err
	}
	if !found {
		return 0, errors.New(what + " without AWS:EpochTime")
	}
	return v, nil
}

// parseEpoch parses 1–19 plain digits, no sign, no leading zero except "0", ≤ int64 max
// (spec/cloudfront.md §9.1, §9.9).
func parseEpoch(s string) (int64, bool) {
	if len(s) == 0 || len(s) > 19 || (len(s) > 1 && s[0] == '0') {
		return 0, false
	}
	var v uint64
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		v = v*10 + uint64(c-'0')
	}
	if v > 1<<63-1 {
		return 0, false
	}
	return int64(v), true
}

// parseSourceIP parses an AWS:SourceIp value: an IPv4 dotted quad without leading zeros and an
// optional /0–/32 (bare = /32), or — only when allowV6 — an IPv6 address or CIDR (a signet
// extension CloudFront ignores, spec/cloudfront.md §9.6). Host bits are masked. Zones and
// IPv4-mapped IPv6 prefixes are refused.
func parseSourceIP(s string, allowV6 bool) (netip.Prefix, error) {
	var pfx netip.Prefix
	if strings.IndexByte(s, '/') >= 0 {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return netip.Prefix{}, errors.New("AWS:SourceIp is not an IP address or CIDR")
		}
		pfx = p
	} else {
		a, err := netip.ParseAddr(s)
		if err != nil || a.Zone() != "" {
			return netip.Prefix{}, errors.New("AWS:SourceIp is not an IP address or CIDR")
		}
		pfx = netip.PrefixFrom(a, a.BitLen())
	}
	a := pfx.Addr()
	if a.Is6() {
		if a.Is4In6() {
			return netip.Prefix{}, errors.New("AWS:SourceIp is an IPv4-mapped IPv6 prefix")
		}
		if !allowV6 {
			return netip.Prefix{}, errors.New("AWS:SourceIp is IPv6, which CloudFront does not honour (signet extension not enabled)")
		}
	}
	return pfx.Masked(), nil
}
