package main

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/signet-project/signet/sigv4"
)

var presignCommand = &command{
	name:    "presign",
	summary: "presign a request with AWS Signature V4 (query form)",
	usage: `usage: signet presign --url URL [--method GET] [--expires 3600] [--region R] [--service s3] [--now T]

Presigns URL with AWS Signature V4 in the query-string form and prints the presigned URL. The
output is byte-identical to botocore's S3SigV4QueryAuth (boto3 generate_presigned_url with
signature_version s3v4) for the same inputs: the URL's own parameters first, then
X-Amz-Algorithm, X-Amz-Credential, X-Amz-Date, X-Amz-Expires, X-Amz-SignedHeaders,
X-Amz-Security-Token and X-Amz-Signature. Credentials come from AWS_ACCESS_KEY_ID,
AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN.

URL must be in canonical form: every byte of the path and query percent-encoded except
A-Z a-z 0-9 - _ . ~ (and / in the path), upper-case hex, each parameter as NAME=VALUE once.

flags:
  --url URL          the URL to presign (canonical form)
  --method M         HTTP method (default GET)
  --expires N        validity in seconds, 1..604800 (default 3600)
  --region R         signing region (default $AWS_REGION, then $AWS_DEFAULT_REGION, then us-east-1)
  --service S        signing service (default s3; s3 keeps the path single-encoded)
  --now T            signing time (default now); epoch seconds, a date or RFC 3339

examples:
  . signet-data/dev.env
  signet presign --url "$SIGNET_STORE_URL/media/photos/cat.png"
  signet presign --url "$SIGNET_STORE_URL/media/up.png" --method PUT --expires 600
`,
	run: runPresign,
}

func runPresign(_ context.Context, e *env, args []string) error {
	fs := newFlagSet("presign")
	rawURL := fs.String("url", "", "")
	method := fs.String("method", "GET", "")
	expires := fs.String("expires", "3600", "")
	region := fs.String("region", "", "")
	service := fs.String("service", "s3", "")
	nowFlag := fs.String("now", "", "")
	if err := parse(fs, args); err != nil {
		return err
	}
	if err := required("url", *rawURL, "method", *method, "service", *service); err != nil {
		return err
	}
	n, err := strconv.ParseInt(*expires, 10, 64)
	if err != nil || n < 1 || n > 604800 {
		return usageErrorf("--expires %q: want whole seconds from 1 to 604800 (7 days)", *expires)
	}
	if strings.ToUpper(*method) != *method || strings.ContainsAny(*method, " \t/") {
		return usageErrorf("--method %q: want an upper-case HTTP method such as GET or PUT", *method)
	}
	if *region == "" {
		*region = e.getenv("AWS_REGION")
	}
	if *region == "" {
		*region = e.getenv("AWS_DEFAULT_REGION")
	}
	if *region == "" {
		*region = "us-east-1"
	}
	now := time.Now()
	if *nowFlag != "" {
		if now, err = timeFlag("now", *nowFlag); err != nil {
			return err
		}
	}
	creds := sigv4.Credentials{
		AccessKeyID:     e.getenv("AWS_ACCESS_KEY_ID"),
		SecretAccessKey: e.getenv("AWS_SECRET_ACCESS_KEY"),
		SessionToken:    e.getenv("AWS_SESSION_TOKEN"),
	}
	if creds.AccessKeyID == "" || creds.SecretAccessKey == "" {
		return errorf("no AWS credentials: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are not set").
			withHint("export them, or run '. signet-data/dev.env' for the local store's credentials")
	}
	s3 := *service == "s3"
	req, err := canonicalRequest(*method, *rawURL, s3)
	if err != nil {
		return err
	}
	signer, err := sigv4.NewSigner(sigv4.SignerConfig{Credentials: creds, Region: *region, Service: *service, S3: s3})
	if err != nil {
		return errorf("%s", strings.TrimPrefix(err.Error(), "sigv4: "))
	}
	out, err := signer.Presign(req, time.Duration(n)*time.Second, now)
	if err != nil {
		return errorf("%s", strings.TrimPrefix(err.Error(), "sigv4: "))
	}
	fmt.Fprintln(e.stdout, out)
	return nil
}

const canonicalHint = "percent-encode every byte except A-Z a-z 0-9 - _ . ~ (and / in the path) with upper-case hex, e.g. %20 for a space"

// canonicalRequest parses rawURL and refuses forms botocore and signet would re-encode
// differently, so that the presigned URL starts with the caller's bytes.
func canonicalRequest(method, rawURL string, s3 bool) (*http.Request, error) {
	u, err := url.Parse(rawURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Opaque != "" {
		return nil, usageErrorf("--url: want an absolute http or https URL")
	}
	if u.User != nil || u.Fragment != "" || strings.Contains(rawURL, "#") {
		return nil, errorf("--url: user info and fragments cannot be presigned").withHint("remove them")
	}
	if u.Host != strings.ToLower(u.Host) {
		return nil, errorf("--url: host %q is not in lower case", u.Host).withHint("write the host in lower case")
	}
	// The path exactly as given: Go's parser would tolerate (and re-encode) a space.
	_, afterScheme, _ := strings.Cut(rawURL, "://")
	rawPath := "/"
	if i := strings.IndexByte(afterScheme, '/'); i >= 0 {
		rawPath, _, _ = strings.Cut(afterScheme[i:], "?")
	}
	if u.Path == "" {
		u.Path = "/"
	}
	if want := sigv4.EncodePath(s3, u.Path); want != rawPath {
		return nil, errorf("--url: path not in canonical form (want %s)", want).withHint("%s", canonicalHint)
	}
	seen := map[string]bool{}
	if u.RawQuery != "" || u.ForceQuery {
		for piece := range strings.SplitSeq(u.RawQuery, "&") {
			k, v, ok := strings.Cut(piece, "=")
			if !ok || k == "" {
				return nil, errorf("--url: query piece %q is not NAME=VALUE", piece).withHint("write each parameter as NAME=VALUE, e.g. versionId=abc or acl=")
			}
			for _, s := range []string{k, v} {
				d, err := url.PathUnescape(s)
				if err != nil || queryEncode(d) != s {
					return nil, errorf("--url: query %q not in canonical form (want %s)", s, queryEncode(d)).withHint("%s", canonicalHint)
				}
			}
			dk, _ := url.PathUnescape(k)
			if seen[dk] {
				return nil, errorf("--url: parameter %q appears twice", dk).withHint("botocore keeps one value per name: pass each parameter once")
			}
			seen[dk] = true
		}
	}
	req, err := http.NewRequest(method, rawURL, nil)
	if err != nil {
		return nil, usageErrorf("--url: %v", err)
	}
	return req, nil
}

// queryEncode is AWS's UriEncode of a query name or value, with '/' encoded.
func queryEncode(s string) string {
	if s == "" {
		return ""
	}
	return strings.ReplaceAll(sigv4.EncodePath(true, s), "/", "%2F")
}
