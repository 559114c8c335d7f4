package main

import (
	"errors"
	"fmt"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsapigateway"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsapigatewayv2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsapigatewayv2authorizers"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsapigatewayv2integrations"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudfront"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudfrontorigins"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/aws-cdk-go/awscdk/v2/interfaces/interfacesawscloudfront"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

// StackConfig is everything the stack is built from. It is resolved from CDK context by
// ConfigFromContext; tests build it directly.
type StackConfig struct {
	// PublicKeyPEM is the CloudFront public key (SPKI "PUBLIC KEY" or PKCS#1 "RSA PUBLIC KEY";
	// RSA-2048 or ECDSA P-256). Its fingerprint names the PublicKey resource, so a new key is a
	// replacement, never an in-place update. Required.
	PublicKeyPEM []byte
	// PreviousPublicKeyPEM, if set, stays in the key group next to PublicKeyPEM while URLs
	// signed with the old key are still in circulation (key rotation, README).
	PreviousPublicKeyPEM []byte
	// SigningKeyParameter is the SSM SecureString parameter name holding the private key
	// ("/signet/signing-key"). The Lambda may read this parameter and nothing else. Required.
	SigningKeyParameter string
	// SigningKeyKMSKeyARN is the customer managed KMS key encrypting the parameter; "" means
	// the AWS managed aws/ssm key, which needs no extra grant.
	SigningKeyKMSKeyARN string
	// JWTIssuer and JWTAudience, when JWTIssuer is set, add an HTTP API whose routes require a
	// JWT from that issuer (API Gateway validates it; the Lambda reads the claims).
	JWTIssuer   string
	JWTAudience []string
	// EnableFunctionURLOrigin adds an IAM-authenticated Lambda function URL as a second
	// CloudFront origin behind Origin Access Control, for POST/PUT APIs under /api/*.
	EnableFunctionURLOrigin bool
	// PublicBaseURL is what signed URLs start with. "" means https://<distribution domain>,
	// which is not possible with EnableFunctionURLOrigin (the distribution would depend on the
	// function and the function on the distribution): set it then (README).
	PublicBaseURL string
	// IssuerConfig is optional YAML of signet.yaml's issuer: section (rules, rate limits,
	// authenticators such as jwt for the function URL path), passed as ISSUER_CONFIG.
	IssuerConfig string
	// LambdaAssetDir is a directory holding the linux/arm64 `bootstrap` binary.
	LambdaAssetDir string
}

// Fixed names shared by the stack and its tests.
const (
	functionURLPathPattern = "/api/*"
	functionURLPathPrefix  = "/api"
)

// Validate reports every problem in c.
func (c *StackConfig) Validate() error {
	var errs []error
	if len(c.PublicKeyPEM) == 0 {
		errs = append(errs, errors.New("deploy: publicKeyPem or publicKeyFile: required"))
	} else if _, err := parsePublicKey(c.PublicKeyPEM); err != nil {
		errs = append(errs, fmt.Errorf("deploy: publicKeyPem: %w", err))
	}
	if len(c.PreviousPublicKeyPEM) > 0 {
		if _, err := parsePublicKey(c.PreviousPublicKeyPEM); err != nil {
			errs = append(errs, fmt.Errorf("deploy: previousPublicKeyPem: %w", err))
		}
	}
	if !validParameterName(c.SigningKeyParameter) {
		errs = append(errs, fmt.Errorf("deploy: signingKeyParameter: %q is not an SSM parameter name", c.SigningKeyParameter))
	}
	if c.SigningKeyKMSKeyARN != "" && !strings.HasPrefix(c.SigningKeyKMSKeyARN, "arn:") {
		errs = append(errs, errors.New("deploy: signingKeyKmsKeyArn: must be a key ARN"))
	}
	if c.JWTIssuer != "" && !strings.HasPrefix(c.JWTIssuer, "https://") {
		errs = append(errs, errors.New("deploy: jwtIssuer: must be an https:// URL"))
	}
	if c.JWTIssuer != "" && len(c.JWTAudience) == 0 {
		errs = append(errs, errors.New("deploy: jwtAudience: required with jwtIssuer"))
	}
	if c.PublicBaseURL != "" && (!strings.HasPrefix(c.PublicBaseURL, "https://") || strings.HasSuffix(c.PublicBaseURL, "/")) {
		errs = append(errs, errors.New("deploy: publicBaseUrl: must be https://HOST without a trailing slash"))
	}
	if c.EnableFunctionURLOrigin && c.PublicBaseURL == "" {
		errs = append(errs, errors.New("deploy: enableFunctionUrlOrigin: needs publicBaseUrl (the distribution cannot both route to the function and be named in its environment); deploy once without it and pass the DistributionDomain output"))
	}
	if len(c.IssuerConfig) > 3000 {
		errs = append(errs, errors.New("deploy: issuerConfigFile: over 3000 bytes (Lambda allows 4 KB of environment)"))
	}
	if c.LambdaAssetDir == "" {
		errs = append(errs, errors.New("deploy: lambdaAssetDir: required"))
	}
	return errors.Join(errs...)
}

// validParameterName accepts SSM parameter names as AWS documents them: letters, digits and
// . - _ /, either one path segment or a fully qualified path starting with "/".
func validParameterName(name string) bool {
	if name == "" || len(name) > 1011 || strings.Contains(name, "//") || strings.HasSuffix(name, "/") {
		return false
	}
	for _, r := range name {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '.', r == '-', r == '_', r == '/':
		default:
			return false
		}
	}
	return !strings.Contains(name[1:], "/") || name[0] == '/'
}

// Stack is the synthesized stack with the constructs tests and outputs look at.
type Stack struct {
	awscdk.Stack
	Bucket       awss3.Bucket
	Distribution awscloudfront.Distribution
	PublicKey    awscloudfront.PublicKey
	KeyGroup     awscloudfront.KeyGroup
	Function     awslambda.Function
	RestAPI      awsapigateway.LambdaRestApi
}

// NewStack builds the signet stack: a private bucket served by CloudFront through Origin
// Access Control, with a key group trusting the configured public key on every behaviour, and
// the issuer Lambda behind an IAM-authenticated REST API (plus, optionally, a JWT-authorized
// HTTP API and a function URL origin).
func NewStack(scope constructs.Construct, id string, props *awscdk.StackProps, cfg StackConfig) (*Stack, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	pub, err := parsePublicKey(cfg.PublicKeyPEM)
	if err != nil {
		return nil, err
	}
	stack := awscdk.NewStack(scope, jsii.String(id), props)
	s := &Stack{Stack: stack}

	s.Bucket = awss3.NewBucket(stack, jsii.String("Media"), &awss3.BucketProps{
		BlockPublicAccess: awss3.BlockPublicAccess_BLOCK_ALL(),
		EnforceSSL:        jsii.Bool(true),
		MinimumTLSVersion: jsii.Number(1.2),
		Encryption:        awss3.BucketEncryption_S3_MANAGED,
		ObjectOwnership:   awss3.ObjectOwnership_BUCKET_OWNER_ENFORCED,
		// Objects outlive the stack: `cdk destroy` leaves the bucket (README, tear down).
		RemovalPolicy: awscdk.RemovalPolicy_RETAIN,
	})

	// The logical id carries the key's fingerprint: a different key is a different resource,
	// so CloudFormation creates the new PublicKey before deleting the old one (CloudFront
	// public keys are immutable in practice: EncodedKey cannot be updated).
	s.PublicKey = newPublicKey(stack, "PublicKey", pub)
	trusted := []interfacesawscloudfront.IPublicKeyRef{s.PublicKey}
	if len(cfg.PreviousPublicKeyPEM) > 0 {
		prev, err := parsePublicKey(cfg.PreviousPublicKeyPEM)
		if err != nil {
			return nil, err
		}
		if prev.fingerprint == pub.fingerprint {
			return nil, errors.New("deploy: previousPublicKeyPem: same key as publicKeyPem")
		}
		trusted = append(trusted, newPublicKey(stack, "PreviousPublicKey", prev))
	}
	s.KeyGroup = awscloudfront.NewKeyGroup(stack, jsii.String("KeyGroup"), &awscloudfront.KeyGroupProps{
		Items:   &trusted,
		Comment: jsii.String("signet: keys whose signed URLs and cookies this distribution accepts"),
	})
	keyGroups := []interfacesawscloudfront.IKeyGroupRef{s.KeyGroup}

	logs := awslogs.NewLogGroup(stack, jsii.String("IssuerLogs"), &awslogs.LogGroupProps{
		Retention:     awslogs.RetentionDays_ONE_MONTH,
		RemovalPolicy: awscdk.RemovalPolicy_DESTROY,
	})
	s.Function = awslambda.NewFunction(stack, jsii.String("Issuer"), &awslambda.FunctionProps{
		Description:  jsii.String("signet issuer: signs CloudFront URLs and cookies for authenticated callers"),
		Runtime:      awslambda.Runtime_PROVIDED_AL2023(),
		Architecture: awslambda.Architecture_ARM_64(),
		Handler:      jsii.String("bootstrap"),
		Code:         awslambda.Code_FromAsset(jsii.String(cfg.LambdaAssetDir), nil),
		MemorySize:   jsii.Number(256),
		Timeout:      awscdk.Duration_Seconds(jsii.Number(10)),
		LogGroup:     logs,
		Environment: &map[string]*string{
			"CLOUDFRONT_KEY_PAIR_ID": s.PublicKey.PublicKeyId(),
			"SIGNING_KEY_PARAMETER":  jsii.String(cfg.SigningKeyParameter),
			"BUCKET":                 s.Bucket.BucketName(),
			"API_PATH_PREFIX":        jsii.String(functionURLPathPrefix),
		},
	})
	paramARN := stack.FormatArn(&awscdk.ArnComponents{
		Service:      jsii.String("ssm"),
		Resource:     jsii.String("parameter"),
		ResourceName: jsii.String(strings.TrimPrefix(cfg.SigningKeyParameter, "/")),
	})
	s.Function.AddToRolePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:       jsii.String("ReadSigningKey"),
		Actions:   jsii.Strings("ssm:GetParameter"),
		Resources: jsii.Strings(*paramARN),
	}))
	if cfg.SigningKeyKMSKeyARN != "" {
		s.Function.AddToRolePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Sid:       jsii.String("DecryptSigningKey"),
			Actions:   jsii.Strings("kms:Decrypt"),
			Resources: jsii.Strings(cfg.SigningKeyKMSKeyARN),
			Conditions: &map[string]any{
				"StringEquals": map[string]any{
					"kms:ViaService": fmt.Sprintf("ssm.%s.amazonaws.com", *stack.Region()),
				},
			},
		}))
	}
	// Presigned upload PUTs are signed with the function's role, and GET /v1/objects lists the
	// caller's own prefix: it may write under users/* and list users/*, and read nothing
	// (reads go through CloudFront).
	s.Bucket.GrantPut(s.Function, jsii.String("users/*"))
	s.Function.AddToRolePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:       jsii.String("ListUserPrefixes"),
		Actions:   jsii.Strings("s3:ListBucket"),
		Resources: jsii.Strings(*s.Bucket.BucketArn()),
		Conditions: &map[string]any{
			"StringLike": map[string]any{"s3:prefix": []string{"users/*"}},
		},
	}))

	behavior := &awscloudfront.BehaviorOptions{
		Origin:               awscloudfrontorigins.S3BucketOrigin_WithOriginAccessControl(s.Bucket, nil),
		TrustedKeyGroups:     &keyGroups,
		ViewerProtocolPolicy: awscloudfront.ViewerProtocolPolicy_HTTPS_ONLY,
		AllowedMethods:       awscloudfront.AllowedMethods_ALLOW_GET_HEAD(),
		CachePolicy:          awscloudfront.CachePolicy_CACHING_OPTIMIZED(),
		Compress:             jsii.Bool(true),
	}
	distProps := &awscloudfront.DistributionProps{
		Comment:         jsii.String("signet: private media behind signed URLs"),
		DefaultBehavior: behavior,
		PriceClass:      awscloudfront.PriceClass_PRICE_CLASS_100,
		HttpVersion:     awscloudfront.HttpVersion_HTTP2_AND_3,
	}
	if cfg.EnableFunctionURLOrigin {
		url := s.Function.AddFunctionUrl(&awslambda.FunctionUrlOptions{
			AuthType: awslambda.FunctionUrlAuthType_AWS_IAM,
		})
		distProps.AdditionalBehaviors = &map[string]*awscloudfront.BehaviorOptions{
			functionURLPathPattern: {
				Origin:               awscloudfrontorigins.FunctionUrlOrigin_WithOriginAccessControl(url, nil),
				TrustedKeyGroups:     &keyGroups,
				ViewerProtocolPolicy: awscloudfront.ViewerProtocolPolicy_HTTPS_ONLY,
				AllowedMethods:       awscloudfront.AllowedMethods_ALLOW_ALL(),
				CachePolicy:          awscloudfront.CachePolicy_CACHING_DISABLED(),
				OriginRequestPolicy:  awscloudfront.OriginRequestPolicy_ALL_VIEWER_EXCEPT_HOST_HEADER(),
			},
		}
	}
	s.Distribution = awscloudfront.NewDistribution(stack, jsii.String("Distribution"), distProps)

	publicBaseURL := jsii.String(cfg.PublicBaseURL)
	if cfg.PublicBaseURL == "" {
		publicBaseURL = awscdk.Fn_Join(jsii.String(""), jsii.Strings("https://", *s.Distribution.DistributionDomainName()))
	}
	s.Function.AddEnvironment(jsii.String("PUBLIC_BASE_URL"), publicBaseURL, nil)
	if cfg.IssuerConfig != "" {
		s.Function.AddEnvironment(jsii.String("ISSUER_CONFIG"), jsii.String(cfg.IssuerConfig), nil)
	}

	s.RestAPI = awsapigateway.NewLambdaRestApi(stack, jsii.String("Api"), &awsapigateway.LambdaRestApiProps{
		Handler:        s.Function,
		Proxy:          jsii.Bool(true),
		Description:    jsii.String("signet issuer API (IAM: requests are SigV4-signed, service execute-api)"),
		CloudWatchRole: jsii.Bool(false),
		EndpointTypes:  &[]awsapigateway.EndpointType{awsapigateway.EndpointType_REGIONAL},
		DefaultMethodOptions: &awsapigateway.MethodOptions{
			AuthorizationType: awsapigateway.AuthorizationType_IAM,
		},
		DeployOptions: &awsapigateway.StageOptions{
			StageName:            jsii.String("api"),
			ThrottlingRateLimit:  jsii.Number(100),
			ThrottlingBurstLimit: jsii.Number(200),
		},
	})

	awscdk.NewCfnOutput(stack, jsii.String("DistributionDomain"), &awscdk.CfnOutputProps{
		Value:       s.Distribution.DistributionDomainName(),
		Description: jsii.String("CloudFront domain: signed URLs start with https://<this>"),
	})
	awscdk.NewCfnOutput(stack, jsii.String("KeyPairId"), &awscdk.CfnOutputProps{
		Value:       s.PublicKey.PublicKeyId(),
		Description: jsii.String("CloudFront public key id (Key-Pair-Id in signed URLs)"),
	})
	awscdk.NewCfnOutput(stack, jsii.String("KeyFingerprint"), &awscdk.CfnOutputProps{
		Value:       jsii.String(pub.fingerprint),
		Description: jsii.String("SHA-256 of the public key's SPKI DER (signet's fingerprint)"),
	})
	awscdk.NewCfnOutput(stack, jsii.String("ApiUrl"), &awscdk.CfnOutputProps{
		Value:       s.RestAPI.Url(),
		Description: jsii.String("issuer REST API (IAM auth), e.g. POST <this>v1/urls"),
	})
	awscdk.NewCfnOutput(stack, jsii.String("BucketName"), &awscdk.CfnOutputProps{
		Value: s.Bucket.BucketName(),
	})

	if cfg.JWTIssuer != "" {
		authorizer := awsapigatewayv2authorizers.NewHttpJwtAuthorizer(jsii.String("Jwt"), jsii.String(cfg.JWTIssuer),
			&awsapigatewayv2authorizers.HttpJwtAuthorizerProps{JwtAudience: jsii.Strings(cfg.JWTAudience...)})
		httpAPI := awsapigatewayv2.NewHttpApi(stack, jsii.String("JwtApi"), &awsapigatewayv2.HttpApiProps{
			Description:        jsii.String("signet issuer API (JWT authorizer)"),
			DefaultIntegration: awsapigatewayv2integrations.NewHttpLambdaIntegration(jsii.String("Issuer"), s.Function, nil),
			DefaultAuthorizer:  authorizer,
		})
		awscdk.NewCfnOutput(stack, jsii.String("JwtApiUrl"), &awscdk.CfnOutputProps{
			Value:       httpAPI.ApiEndpoint(),
			Description: jsii.String("issuer HTTP API (JWT bearer tokens)"),
		})
	}
	return s, nil
}

// newPublicKey adds a CloudFront PublicKey whose logical id is prefix + the first 12 hex
// digits of the key's fingerprint.
func newPublicKey(stack awscdk.Stack, prefix string, pub *publicKey) awscloudfront.PublicKey {
	logicalID := prefix + pub.fingerprint[:12]
	k := awscloudfront.NewPublicKey(stack, jsii.String(logicalID), &awscloudfront.PublicKeyProps{
		EncodedKey: jsii.String(string(pub.pem)),
		Comment:    jsii.String("signet key, SHA-256 " + pub.fingerprint),
	})
	k.Node().DefaultChild().(awscdk.CfnResource).OverrideLogicalId(jsii.String(logicalID))
	return k
}
