package main

import (
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/jsii-runtime-go"
)

// Synthesizing starts node with the whole aws-cdk-lib (5–10 s), so each configuration is
// synthesized once per test binary and every assertion reads the shared template.

var (
	assetDir string
	synthMu  sync.Mutex
	synthed  = map[string]*synthResult{}
)

type synthResult struct {
	tmpl assertions.Template
	json map[string]any
	err  error
}

func TestMain(m *testing.M) {
	// aws-cdk-lib warns on node 20 with a box on stderr (DEPENDENCIES.md). The jsii runtime
	// captures the environment while packages initialise, before TestMain, so setting the
	// variable here is too late: run the test binary again with it.
	const silence = "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION"
	if os.Getenv(silence) == "" {
		cmd := exec.Command(os.Args[0], os.Args[1:]...)
		cmd.Env = append(os.Environ(), silence+"=20")
		cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
		if err := cmd.Run(); err != nil {
			if exit, ok := err.(*exec.ExitError); ok {
				os.Exit(exit.ExitCode())
			}
			panic(err)
		}
		os.Exit(0)
	}
	dir, err := os.MkdirTemp("", "signet-cdk-test")
	if err != nil {
		panic(err)
	}
	assetDir = filepath.Join(dir, "lambda")
	// Synthesis only hashes and copies the asset: a placeholder bootstrap is enough here;
	// deploy/lambda's tests build and run the real one.
	if err := os.MkdirAll(assetDir, 0o755); err != nil {
		panic(err)
	}
	if err := os.WriteFile(filepath.Join(assetDir, "bootstrap"), []byte("placeholder"), 0o755); err != nil {
		panic(err)
	}
	code := m.Run()
	if len(synthed) > 0 {
		jsii.Close()
	}
	os.RemoveAll(dir)
	os.Exit(code)
}

// needNode skips when node is missing, except in CI, where that is a failure.
func needNode(t *testing.T) {
	t.Helper()
	if _, err := exec.LookPath("node"); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("node is required to synthesize (CI is set): %v", err)
		}
		t.Skip("node not found; CDK synthesis needs it")
	}
}

func readFixture(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func baseConfig(t *testing.T) StackConfig {
	return StackConfig{
		PublicKeyPEM:        readFixture(t, "public_a.pem"),
		SigningKeyParameter: "/signet/signing-key",
		LambdaAssetDir:      assetDir,
	}
}

// synth synthesizes cfg once per name and returns the template.
func synth(t *testing.T, name string, cfg StackConfig) *synthResult {
	t.Helper()
	needNode(t)
	synthMu.Lock()
	defer synthMu.Unlock()
	if r, ok := synthed[name]; ok {
		if r.err != nil {
			t.Fatalf("synth %s: %v", name, r.err)
		}
		return r
	}
	r := &synthResult{}
	synthed[name] = r
	start := time.Now()
	func() {
		defer func() {
			if p := recover(); p != nil {
				r.err = fmt.Errorf("panic: %v", p)
			}
		}()
		app := awscdk.NewApp(&awscdk.AppProps{Outdir: jsii.String(t.TempDir())})
		s, err := NewStack(app, "SignetTest", nil, cfg)
		if err != nil {
			r.err = err
			return
		}
		r.tmpl = assertions.Template_FromStack(s.Stack, nil)
		raw, err := json.Marshal(r.tmpl.ToJSON())
		if err == nil {
			err = json.Unmarshal(raw, &r.json)
		}
		r.err = err
	}()
	if r.err != nil {
		t.Fatalf("synth %s: %v", name, r.err)
	}
	t.Logf("synth %s: %v", name, time.Since(start).Round(time.Millisecond))
	return r
}

// optionsConfig turns every optional feature on.
func optionsConfig(t *testing.T) StackConfig {
	cfg := baseConfig(t)
	cfg.JWTIssuer = "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_example"
	cfg.JWTAudience = []string{"client-1"}
	cfg.EnableFunctionURLOrigin = true
	cfg.PublicBaseURL = "https://d111111abcdef8.cloudfront.net"
	cfg.IssuerConfig = "rules: [{allow: 'users/{sub}/*', actions: [read, upload]}]\n"
	return cfg
}

func defaultTemplate(t *testing.T) *synthResult { return synth(t, "default", baseConfig(t)) }

// assert runs a jsii assertion, turning its exception into a test failure.
func assert(t *testing.T, what string, f func()) {
	t.Helper()
	defer func() {
		if p := recover(); p != nil {
			t.Errorf("%s: %v", what, p)
		}
	}()
	f()
}

// resources returns the template's resources of one type, by logical id.
func resources(r *synthResult, typ string) map[string]map[string]any {
	out := map[string]map[string]any{}
	for id, v := range r.json["Resources"].(map[string]any) {
		res := v.(map[string]any)
		if res["Type"] == typ {
			out[id] = res
		}
	}
	return out
}

func props(res map[string]any) map[string]any {
	p, _ := res["Properties"].(map[string]any)
	return p
}

func only(t *testing.T, r *synthResult, typ string) (string, map[string]any) {
	t.Helper()
	rs := resources(r, typ)
	if len(rs) != 1 {
		t.Fatalf("%d resources of type %s, want 1", len(rs), typ)
	}
	for id, res := range rs {
		return id, res
	}
	panic("unreachable")
}

func asList(v any) []any {
	if l, ok := v.([]any); ok {
		return l
	}
	return []any{v}
}

func jsonString(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func TestBucketIsPrivate(t *testing.T) {
	r := defaultTemplate(t)
	assert(t, "bucket blocks all public access and is encrypted", func() {
		r.tmpl.HasResourceProperties(jsii.String("AWS::S3::Bucket"), &map[string]any{
			"PublicAccessBlockConfiguration": map[string]any{
				"BlockPublicAcls": true, "BlockPublicPolicy": true,
				"IgnorePublicAcls": true, "RestrictPublicBuckets": true,
			},
			"BucketEncryption": map[string]any{
				"ServerSideEncryptionConfiguration": assertions.Match_ArrayWith(&[]any{
					map[string]any{"ServerSideEncryptionByDefault": map[string]any{"SSEAlgorithm": "AES256"}},
				}),
			},
		})
	})
	_, bucket := only(t, r, "AWS::S3::Bucket")
	if props(bucket)["AccessControl"] != nil || props(bucket)["WebsiteConfiguration"] != nil {
		t.Errorf("bucket has ACL or website settings: %s", jsonString(props(bucket)))
	}

	_, policy := only(t, r, "AWS::S3::BucketPolicy")
	var tlsDeny, oacAllow bool
	for _, st := range asList(props(policy)["PolicyDocument"].(map[string]any)["Statement"]) {
		st := st.(map[string]any)
		principal := jsonString(st["Principal"])
		switch st["Effect"] {
		case "Deny":
			if jsonString(st["Condition"]) == `{"Bool":{"aws:SecureTransport":"false"}}` && jsonString(st["Action"]) == `"s3:*"` {
				tlsDeny = true
			}
		case "Allow":
			// The only grant is to CloudFront, for this distribution only.
			if principal != `{"Service":"cloudfront.amazonaws.com"}` {
				t.Errorf("bucket policy allows %s", principal)
				continue
			}
			cond := jsonString(st["Condition"])
			if !strings.Contains(cond, "AWS:SourceArn") || !strings.Contains(cond, "Distribution") {
				t.Errorf("CloudFront grant not bound to the distribution: %s", cond)
			}
			if jsonString(st["Action"]) != `"s3:GetObject"` {
				t.Errorf("CloudFront may %s, want s3:GetObject only", jsonString(st["Action"]))
			}
			oacAllow = true
		}
	}
	if !tlsDeny {
		t.Error("no statement denies requests without TLS (aws:SecureTransport false)")
	}
	if !oacAllow {
		t.Error("no statement lets the distribution read the bucket")
	}
}

func TestDistributionUsesOACAndKeyGroup(t *testing.T) {
	r := defaultTemplate(t)
	oacID, oac := only(t, r, "AWS::CloudFront::OriginAccessControl")
	oacCfg := props(oac)["OriginAccessControlConfig"].(map[string]any)
	if oacCfg["OriginAccessControlOriginType"] != "s3" || oacCfg["SigningBehavior"] != "always" || oacCfg["SigningProtocol"] != "sigv4" {
		t.Errorf("OAC config = %s", jsonString(oacCfg))
	}
	_, dist := only(t, r, "AWS::CloudFront::Distribution")
	dc := props(dist)["DistributionConfig"].(map[string]any)
	origins := asList(dc["Origins"])
	if len(origins) != 1 {
		t.Fatalf("%d origins, want 1", len(origins))
	}
	origin := origins[0].(map[string]any)
	if got, want := jsonString(origin["OriginAccessControlId"]), fmt.Sprintf(`{"Fn::GetAtt":["%s","Id"]}`, oacID); got != want {
		t.Errorf("origin OriginAccessControlId = %s, want %s", got, want)
	}
	if s3cfg := jsonString(origin["S3OriginConfig"]); s3cfg != `{"OriginAccessIdentity":""}` {
		t.Errorf("S3OriginConfig = %s, want no origin access identity", s3cfg)
	}

	kgID, kg := only(t, r, "AWS::CloudFront::KeyGroup")
	pub, err := parsePublicKey(readFixture(t, "public_a.pem"))
	if err != nil {
		t.Fatal(err)
	}
	pkID := "PublicKey" + pub.fingerprint[:12]
	if got, want := jsonString(props(kg)["KeyGroupConfig"].(map[string]any)["Items"]), fmt.Sprintf(`[{"Ref":"%s"}]`, pkID); got != want {
		t.Errorf("key group items = %s, want %s", got, want)
	}
	def := dc["DefaultCacheBehavior"].(map[string]any)
	if got, want := jsonString(def["TrustedKeyGroups"]), fmt.Sprintf(`[{"Ref":"%s"}]`, kgID); got != want {
		t.Errorf("default behaviour TrustedKeyGroups = %s, want %s", got, want)
	}
	if def["ViewerProtocolPolicy"] != "https-only" {
		t.Errorf("ViewerProtocolPolicy = %v", def["ViewerProtocolPolicy"])
	}
	if def["TargetOriginId"] != origin["Id"] {
		t.Errorf("default behaviour targets %v, want the S3 origin %v", def["TargetOriginId"], origin["Id"])
	}
	if dc["CacheBehaviors"] != nil {
		t.Errorf("unexpected extra behaviours: %s", jsonString(dc["CacheBehaviors"]))
	}

	pk := resources(r, "AWS::CloudFront::PublicKey")[pkID]
	if pk == nil {
		t.Fatalf("no PublicKey with logical id %s", pkID)
	}
	encoded := props(pk)["PublicKeyConfig"].(map[string]any)["EncodedKey"]
	if encoded != string(pub.pem) {
		t.Errorf("EncodedKey = %q, want %q", encoded, pub.pem)
	}
	assert(t, "outputs", func() {
		r.tmpl.HasOutput(jsii.String("KeyPairId"), &map[string]any{"Value": map[string]any{"Ref": pkID}})
		r.tmpl.HasOutput(jsii.String("DistributionDomain"), &map[string]any{"Value": map[string]any{"Fn::GetAtt": []any{assertions.Match_AnyValue(), "DomainName"}}})
		r.tmpl.HasOutput(jsii.String("ApiUrl"), assertions.Match_AnyValue())
	})
}

func TestLambdaLeastPrivilege(t *testing.T) {
	r := defaultTemplate(t)
	fnID, fn := only(t, r, "AWS::Lambda::Function")
	p := props(fn)
	if p["Runtime"] != "provided.al2023" || jsonString(p["Architectures"]) != `["arm64"]` || p["Handler"] != "bootstrap" {
		t.Errorf("function runtime/arch/handler = %v %v %v", p["Runtime"], p["Architectures"], p["Handler"])
	}
	env := p["Environment"].(map[string]any)["Variables"].(map[string]any)
	pub, _ := parsePublicKey(readFixture(t, "public_a.pem"))
	for k, want := range map[string]string{
		"CLOUDFRONT_KEY_PAIR_ID": `{"Ref":"PublicKey` + pub.fingerprint[:12] + `"}`,
		"SIGNING_KEY_PARAMETER":  `"/signet/signing-key"`,
		"PUBLIC_BASE_URL":        `{"Fn::Join":["",["https://",{"Fn::GetAtt":["Distribution`,
		"BUCKET":                 `{"Ref":"Media`,
	} {
		if got := jsonString(env[k]); !strings.HasPrefix(got, want) {
			t.Errorf("env %s = %s, want prefix %s", k, got, want)
		}
	}

	wantARN := `{"Fn::Join":["",["arn:",{"Ref":"AWS::Partition"},":ssm:",{"Ref":"AWS::Region"},":",{"Ref":"AWS::AccountId"},":parameter/signet/signing-key"]]}`
	var ssmStatements int
	for _, pol := range resources(r, "AWS::IAM::Policy") {
		roles := jsonString(props(pol)["Roles"])
		if !strings.Contains(roles, fnID) && !strings.Contains(roles, "IssuerServiceRole") {
			continue
		}
		for _, st := range asList(props(pol)["PolicyDocument"].(map[string]any)["Statement"]) {
			st := st.(map[string]any)
			actions := jsonString(st["Action"])
			res := asList(st["Resource"])
			for _, x := range res {
				if x == "*" {
					t.Errorf("statement %s grants %s on *", st["Sid"], actions)
				}
			}
			if strings.Contains(actions, "s3:") {
				if strings.Contains(actions, "s3:GetObject") || strings.Contains(actions, "s3:Delete") || strings.Contains(actions, "s3:*") {
					t.Errorf("issuer may %s: it only presigns uploads", actions)
				}
				if actions == `"s3:ListBucket"` {
					if c := jsonString(st["Condition"]); c != `{"StringLike":{"s3:prefix":["users/*"]}}` {
						t.Errorf("s3:ListBucket condition %s, want the users/* prefix only", c)
					}
				} else if r := jsonString(res); len(res) != 1 || !strings.Contains(r, `"/users/*"`) {
					t.Errorf("S3 grant on %s, want the users/* prefix only", r)
				}
			}
			if strings.Contains(actions, "ssm:") || strings.Contains(actions, "kms:") {
				ssmStatements++
				if actions != `"ssm:GetParameter"` {
					t.Errorf("SSM actions = %s, want ssm:GetParameter only", actions)
				}
				if len(res) != 1 || jsonString(res[0]) != wantARN {
					t.Errorf("ssm:GetParameter on %s, want exactly %s", jsonString(res), wantARN)
				}
			}
		}
	}
	if ssmStatements != 1 {
		t.Errorf("%d SSM/KMS statements, want 1", ssmStatements)
	}
	// The managed policy is only the logging one.
	roleID, role := only(t, r, "AWS::IAM::Role")
	if mp := jsonString(props(role)["ManagedPolicyArns"]); !strings.Contains(mp, "AWSLambdaBasicExecutionRole") || strings.Count(mp, "arn:") != 1 {
		t.Errorf("role %s managed policies = %s", roleID, mp)
	}
}

func TestLambdaKMSGrant(t *testing.T) {
	cfg := baseConfig(t)
	cfg.SigningKeyKMSKeyARN = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"
	r := synth(t, "kms", cfg)
	assert(t, "kms:Decrypt on the one key, via SSM only", func() {
		r.tmpl.HasResourceProperties(jsii.String("AWS::IAM::Policy"), &map[string]any{
			"PolicyDocument": map[string]any{"Statement": assertions.Match_ArrayWith(&[]any{map[string]any{
				"Sid": "DecryptSigningKey", "Action": "kms:Decrypt", "Effect": "Allow",
				"Resource":  cfg.SigningKeyKMSKeyARN,
				"Condition": map[string]any{"StringEquals": map[string]any{"kms:ViaService": assertions.Match_AnyValue()}},
			}})},
		})
	})
}

func TestAPIRequiresIAM(t *testing.T) {
	r := defaultTemplate(t)
	methods := resources(r, "AWS::ApiGateway::Method")
	if len(methods) == 0 {
		t.Fatal("no API Gateway methods")
	}
	for id, m := range methods {
		if got := props(m)["AuthorizationType"]; got != "AWS_IAM" {
			t.Errorf("method %s (%v %v) AuthorizationType = %v, want AWS_IAM", id, props(m)["HttpMethod"], props(m)["ResourceId"], got)
		}
	}
	if len(resources(r, "AWS::ApiGatewayV2::Api")) != 0 || len(resources(r, "AWS::Lambda::Url")) != 0 {
		t.Error("HTTP API or function URL present without being asked for")
	}
}

func TestKeyRotationReplacesPublicKey(t *testing.T) {
	a := defaultTemplate(t)
	cfg := baseConfig(t)
	cfg.PublicKeyPEM = readFixture(t, "public_b.pem")
	cfg.PreviousPublicKeyPEM = readFixture(t, "public_a.pem")
	b := synth(t, "rotated", cfg)

	ids := func(r *synthResult) []string {
		var out []string
		for id := range resources(r, "AWS::CloudFront::PublicKey") {
			out = append(out, id)
		}
		sort.Strings(out)
		return out
	}
	pa, _ := parsePublicKey(readFixture(t, "public_a.pem"))
	pb, _ := parsePublicKey(readFixture(t, "public_b.pem"))
	if got, want := ids(a), []string{"PublicKey" + pa.fingerprint[:12]}; jsonString(got) != jsonString(want) {
		t.Errorf("key A: public keys %v, want %v", got, want)
	}
	newID := "PublicKey" + pb.fingerprint[:12]
	if got, want := ids(b), []string{"PreviousPublicKey" + pa.fingerprint[:12], newID}; jsonString(got) != jsonString(want) {
		t.Errorf("key B: public keys %v, want %v", got, want)
	}
	if newID == ids(a)[0] {
		t.Fatal("a new key kept the old logical id: CloudFormation would update, not replace")
	}
	_, kg := only(t, b, "AWS::CloudFront::KeyGroup")
	if got := jsonString(props(kg)["KeyGroupConfig"].(map[string]any)["Items"]); !strings.Contains(got, newID) || !strings.Contains(got, "PreviousPublicKey") {
		t.Errorf("rotated key group = %s, want both keys", got)
	}
	_, fn := only(t, b, "AWS::Lambda::Function")
	if got := jsonString(props(fn)["Environment"].(map[string]any)["Variables"].(map[string]any)["CLOUDFRONT_KEY_PAIR_ID"]); got != `{"Ref":"`+newID+`"}` {
		t.Errorf("issuer signs with %s, want the new key %s", got, newID)
	}
}

func TestOptionalJWTAndFunctionURL(t *testing.T) {
	cfg := optionsConfig(t)
	r := synth(t, "options", cfg)

	assert(t, "JWT authorizer on the HTTP API", func() {
		r.tmpl.HasResourceProperties(jsii.String("AWS::ApiGatewayV2::Authorizer"), &map[string]any{
			"AuthorizerType": "JWT",
			"JwtConfiguration": map[string]any{
				"Issuer": cfg.JWTIssuer, "Audience": []any{"client-1"},
			},
		})
		r.tmpl.AllResourcesProperties(jsii.String("AWS::ApiGatewayV2::Route"), &map[string]any{
			"AuthorizationType": "JWT",
		})
	})
	_, url := only(t, r, "AWS::Lambda::Url")
	if props(url)["AuthType"] != "AWS_IAM" {
		t.Errorf("function URL AuthType = %v, want AWS_IAM", props(url)["AuthType"])
	}
	var lambdaOAC string
	for id, oac := range resources(r, "AWS::CloudFront::OriginAccessControl") {
		if props(oac)["OriginAccessControlConfig"].(map[string]any)["OriginAccessControlOriginType"] == "lambda" {
			lambdaOAC = id
		}
	}
	if lambdaOAC == "" {
		t.Fatal("no lambda OAC")
	}
	_, dist := only(t, r, "AWS::CloudFront::Distribution")
	dc := props(dist)["DistributionConfig"].(map[string]any)
	if !strings.Contains(jsonString(dc["Origins"]), lambdaOAC) {
		t.Errorf("function URL origin does not use the lambda OAC")
	}
	cbs := asList(dc["CacheBehaviors"])
	if len(cbs) != 1 {
		t.Fatalf("cache behaviours = %s", jsonString(dc["CacheBehaviors"]))
	}
	cb := cbs[0].(map[string]any)
	if cb["PathPattern"] != functionURLPathPattern || cb["TrustedKeyGroups"] == nil || !strings.Contains(jsonString(cb["AllowedMethods"]), "POST") {
		t.Errorf("api behaviour = %s", jsonString(cb))
	}
	// Only this distribution may invoke the URL.
	assert(t, "lambda permission for CloudFront", func() {
		r.tmpl.HasResourceProperties(jsii.String("AWS::Lambda::Permission"), &map[string]any{
			"Action":    "lambda:InvokeFunctionUrl",
			"Principal": "cloudfront.amazonaws.com",
			"SourceArn": assertions.Match_AnyValue(),
		})
	})
	_, fn := only(t, r, "AWS::Lambda::Function")
	vars := props(fn)["Environment"].(map[string]any)["Variables"].(map[string]any)
	if vars["PUBLIC_BASE_URL"] != cfg.PublicBaseURL || vars["ISSUER_CONFIG"] != cfg.IssuerConfig {
		t.Errorf("PUBLIC_BASE_URL = %v, ISSUER_CONFIG = %v", vars["PUBLIC_BASE_URL"], vars["ISSUER_CONFIG"])
	}
}

func TestCfnLint(t *testing.T) {
	r := defaultTemplate(t)
	lint, err := exec.LookPath("cfn-lint")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("cfn-lint is required in CI: %v", err)
		}
		t.Skip("cfn-lint not found")
	}
	cfg := optionsConfig(t)
	for name, res := range map[string]*synthResult{"default": r, "options": synth(t, "options", cfg)} {
		path := filepath.Join(t.TempDir(), name+".template.json")
		b, _ := json.MarshalIndent(res.json, "", " ")
		if err := os.WriteFile(path, b, 0o644); err != nil {
			t.Fatal(err)
		}
		if err := runCfnLint(t, lint, path); err != nil {
			t.Error(err)
		}
	}
}

// runCfnLint fails on errors only: its exit status is a bit mask (2 error, 4 warning,
// 8 info) and CDK's own output carries warning W3005.
func runCfnLint(t *testing.T, lint, path string) error {
	cmd := exec.Command(lint, "--format", "parseable", "--", path)
	out, err := cmd.CombinedOutput()
	rc := cmd.ProcessState.ExitCode()
	if err != nil && rc < 0 {
		return fmt.Errorf("cfn-lint: %v", err)
	}
	if len(out) > 0 {
		t.Logf("cfn-lint %s (rc %d):\n%s", filepath.Base(path), rc, out)
	}
	if rc&2 != 0 || rc&1 != 0 {
		return fmt.Errorf("cfn-lint reported errors (rc %d)", rc)
	}
	return nil
}

func TestConfigValidation(t *testing.T) {
	good := baseConfig(t)
	if err := good.Validate(); err != nil {
		t.Fatalf("valid config: %v", err)
	}
	for name, tc := range map[string]struct {
		mut  func(c *StackConfig)
		want string
	}{
		"no key":   {func(c *StackConfig) { c.PublicKeyPEM = nil }, "publicKeyPem or publicKeyFile: required"},
		"p384 key": {func(c *StackConfig) { c.PublicKeyPEM = readFixture(t, "public_p384.pem") }, "P-256"},
		"not pem":  {func(c *StackConfig) { c.PublicKeyPEM = []byte("ssm://signet/key") }, "no PEM block"},
		"two keys": {func(c *StackConfig) {
			c.PublicKeyPEM = append(readFixture(t, "public_a.pem"), readFixture(t, "public_b.pem")...)
		}, "more than one"},
		"bad param":          {func(c *StackConfig) { c.SigningKeyParameter = "signet/*" }, "signingKeyParameter"},
		"jwt no aud":         {func(c *StackConfig) { c.JWTIssuer = "https://issuer.example" }, "jwtAudience"},
		"jwt http":           {func(c *StackConfig) { c.JWTIssuer = "http://x"; c.JWTAudience = []string{"a"} }, "https://"},
		"url no base":        {func(c *StackConfig) { c.EnableFunctionURLOrigin = true }, "needs publicBaseUrl"},
		"base trailing":      {func(c *StackConfig) { c.PublicBaseURL = "https://x.example/" }, "publicBaseUrl"},
		"kms not arn":        {func(c *StackConfig) { c.SigningKeyKMSKeyARN = "alias/x" }, "signingKeyKmsKeyArn"},
		"huge issuer config": {func(c *StackConfig) { c.IssuerConfig = strings.Repeat("#", 3001) }, "issuerConfigFile"},
	} {
		t.Run(name, func(t *testing.T) {
			c := baseConfig(t)
			tc.mut(&c)
			err := c.Validate()
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Validate() = %v, want error containing %q", err, tc.want)
			}
		})
	}
}

type mapContext map[string]any

func (m mapContext) TryGetContext(key *string) any { return m[*key] }

func TestConfigFromContext(t *testing.T) {
	cfg, name, err := configFrom(mapContext{
		"publicKeyFile":           filepath.Join("testdata", "public_a.pem"),
		"jwtIssuer":               "https://issuer.example",
		"jwtAudience":             "a, b",
		"enableFunctionUrlOrigin": true,
		"publicBaseUrl":           "https://media.example.com",
	})
	if err != nil {
		t.Fatal(err)
	}
	if name != "SignetStack" || cfg.SigningKeyParameter != "/signet/signing-key" || !cfg.EnableFunctionURLOrigin ||
		jsonString(cfg.JWTAudience) != `["a","b"]` || len(cfg.PublicKeyPEM) == 0 {
		t.Errorf("config = %+v, name %q", cfg, name)
	}
	if err := cfg.Validate(); err != nil {
		t.Error(err)
	}
	pemText := strings.ReplaceAll(string(readFixture(t, "public_a.pem")), "\n", `\n`)
	cfg, _, err = configFrom(mapContext{"publicKeyPem": pemText})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := parsePublicKey(cfg.PublicKeyPEM); err != nil {
		t.Errorf("publicKeyPem with literal \\n: %v", err)
	}
	if _, _, err := configFrom(mapContext{"publicKeyPem": "x", "publicKeyFile": "y"}); err == nil {
		t.Error("both publicKeyPem and publicKeyFile accepted")
	}
	if _, _, err := configFrom(mapContext{"enableFunctionUrlOrigin": "yes"}); err == nil {
		t.Error("enableFunctionUrlOrigin=yes accepted")
	}
}

func TestFingerprintMatchesOpenSSL(t *testing.T) {
	// Independent of parsePublicKey's own encoding: SHA-256 of the DER that openssl writes.
	openssl, err := exec.LookPath("openssl")
	if err != nil {
		t.Skip("openssl not found")
	}
	for _, f := range []string{"public_a.pem", "public_b.pem"} {
		der, err := exec.Command(openssl, "pkey", "-pubin", "-in", filepath.Join("testdata", f), "-outform", "DER").Output()
		if err != nil {
			t.Fatal(err)
		}
		pub, err := parsePublicKey(readFixture(t, f))
		if err != nil {
			t.Fatal(err)
		}
		if got, want := pub.fingerprint, fmt.Sprintf("%x", sha256.Sum256(der)); got != want {
			t.Errorf("%s: fingerprint %s, want %s", f, got, want)
		}
	}
}
