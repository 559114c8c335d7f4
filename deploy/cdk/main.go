// Command cdk is the CDK app that deploys signet to AWS: a private S3 bucket served by
// CloudFront through Origin Access Control, a CloudFront key group trusting signet's public
// key, and the issuer as a Lambda behind an IAM-authenticated API Gateway.
//
// Parameters come from CDK context (`-c name=value`, or cdk.json):
//
//	publicKeyFile / publicKeyPem          the CloudFront public key (required, one of them)
//	previousPublicKeyFile / …Pem          an old key kept trusted during a rotation
//	signingKeyParameter                   SSM SecureString name of the private key (default /signet/signing-key)
//	signingKeyKmsKeyArn                   CMK encrypting that parameter (default: aws/ssm)
//	jwtIssuer, jwtAudience                add a JWT-authorized HTTP API (audience: comma-separated)
//	enableFunctionUrlOrigin               true: Lambda function URL origin under /api/* (needs publicBaseUrl)
//	publicBaseUrl                         what signed URLs start with (default https://<distribution domain>)
//	issuerConfigFile                      YAML of signet.yaml's issuer: section (rules, limits, a jwt authenticator…)
//	lambdaAssetDir                        directory with the arm64 bootstrap (default build/lambda-arm64, relative to deploy/)
//	stackName                             default SignetStack
//
// Run it through deploy/Makefile (`make synth`) or `cdk deploy --app 'go run ./cdk'`.
package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"
)

func main() {
	defer jsii.Close()
	app := awscdk.NewApp(nil)
	cfg, name, err := ConfigFromContext(app)
	if err == nil {
		_, err = NewStack(app, name, &awscdk.StackProps{
			Env:         envFromCDK(),
			Description: jsii.String("signet: private media behind CloudFront signed URLs, with the issuer on Lambda"),
		}, cfg)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "cdk: error:", err)
		jsii.Close()
		os.Exit(1)
	}
	app.Synth(nil)
}

// envFromCDK pins the stack to the account and region the cdk CLI resolved, when it did;
// otherwise the stack stays environment-agnostic.
func envFromCDK() *awscdk.Environment {
	account, region := os.Getenv("CDK_DEFAULT_ACCOUNT"), os.Getenv("CDK_DEFAULT_REGION")
	if account == "" || region == "" {
		return nil
	}
	return &awscdk.Environment{Account: jsii.String(account), Region: jsii.String(region)}
}

// contextGetter is the part of a construct node that ConfigFromContext reads.
type contextGetter interface {
	TryGetContext(key *string) any
}

type nodeContext struct{ app awscdk.App }

func (n nodeContext) TryGetContext(key *string) any { return n.app.Node().TryGetContext(key) }

// ConfigFromContext resolves the StackConfig and stack name from the app's context.
func ConfigFromContext(app awscdk.App) (StackConfig, string, error) {
	return configFrom(nodeContext{app})
}

func configFrom(ctx contextGetter) (StackConfig, string, error) {
	str := func(k string) string {
		switch v := ctx.TryGetContext(jsii.String(k)).(type) {
		case string:
			return v
		case bool:
			return fmt.Sprint(v)
		case nil:
			return ""
		default:
			return fmt.Sprint(v)
		}
	}
	readPEM := func(pemKey, fileKey string) ([]byte, error) {
		p, f := str(pemKey), str(fileKey)
		switch {
		case p != "" && f != "":
			return nil, fmt.Errorf("deploy: %s and %s: give one", pemKey, fileKey)
		case p != "":
			// A PEM passed with -c often arrives with literal "\n".
			return []byte(strings.ReplaceAll(p, `\n`, "\n")), nil
		case f != "":
			b, err := os.ReadFile(f)
			if err != nil {
				return nil, fmt.Errorf("deploy: %s: %w", fileKey, err)
			}
			return b, nil
		}
		return nil, nil
	}
	var cfg StackConfig
	var err error
	if cfg.PublicKeyPEM, err = readPEM("publicKeyPem", "publicKeyFile"); err != nil {
		return cfg, "", err
	}
	if cfg.PreviousPublicKeyPEM, err = readPEM("previousPublicKeyPem", "previousPublicKeyFile"); err != nil {
		return cfg, "", err
	}
	cfg.SigningKeyParameter = str("signingKeyParameter")
	if cfg.SigningKeyParameter == "" {
		cfg.SigningKeyParameter = "/signet/signing-key"
	}
	cfg.SigningKeyKMSKeyARN = str("signingKeyKmsKeyArn")
	cfg.JWTIssuer = str("jwtIssuer")
	for _, a := range strings.Split(str("jwtAudience"), ",") {
		if a = strings.TrimSpace(a); a != "" {
			cfg.JWTAudience = append(cfg.JWTAudience, a)
		}
	}
	switch v := str("enableFunctionUrlOrigin"); v {
	case "", "false":
	case "true":
		cfg.EnableFunctionURLOrigin = true
	default:
		return cfg, "", fmt.Errorf("deploy: enableFunctionUrlOrigin: %q is not true or false", v)
	}
	cfg.PublicBaseURL = str("publicBaseUrl")
	if f := str("issuerConfigFile"); f != "" {
		b, err := os.ReadFile(f)
		if err != nil {
			return cfg, "", fmt.Errorf("deploy: issuerConfigFile: %w", err)
		}
		cfg.IssuerConfig = string(b)
	}
	cfg.LambdaAssetDir = str("lambdaAssetDir")
	if cfg.LambdaAssetDir == "" {
		cfg.LambdaAssetDir = filepath.Join("build", "lambda-arm64")
	}
	name := str("stackName")
	if name == "" {
		name = "SignetStack"
	}
	return cfg, name, nil
}
