package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/aws/aws-lambda-go/events"
)

// Identity is the caller as API Gateway authenticated it: IAM (SigV4), a JWT authorizer, a
// Cognito user pool or identity pool, or a Lambda authorizer. It comes from the invocation's
// requestContext, which only API Gateway writes, never from request headers.
type Identity struct {
	// Subject is the stable caller id rules see as {sub}: the IAM principal (account, type
	// and name, path-safe), or the token's `sub` claim.
	Subject string
	// Source names the authorizer: "iam", "jwt", "cognito", "cognito-identity", "lambda".
	Source string
	// ARN is the IAM principal's ARN (Source "iam"); AccessKeyID the key it signed with.
	ARN         string
	AccessKeyID string
	AccountID   string
	// Claims holds the authorizer's claims (JWT and Cognito) as API Gateway passed them.
	Claims map[string]string
	// Scopes are the JWT scopes (HTTP API JWT authorizer).
	Scopes []string
}

type identityKey struct{}

func withIdentity(ctx context.Context, id *Identity) context.Context {
	if id == nil {
		return ctx
	}
	return context.WithValue(ctx, identityKey{}, id)
}

// IdentityFromContext returns the caller API Gateway authenticated for this request, if any.
func IdentityFromContext(ctx context.Context) (*Identity, bool) {
	id, ok := ctx.Value(identityKey{}).(*Identity)
	return id, ok && id != nil && id.Subject != ""
}

// iamSubject turns a principal ARN into a path-safe subject, the account and the IAM user or
// role name: arn:aws:iam::111122223333:user/alice → "111122223333-alice". For an assumed role
// the session name is dropped, because whoever assumes the role chooses it: every session of
// a role is one caller (…:assumed-role/uploader/any → "111122223333-uploader").
func iamSubject(arn string) string {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" || parts[4] == "" {
		return ""
	}
	account, resource := parts[4], parts[5]
	var name string
	switch {
	case strings.HasPrefix(resource, "user/"):
		segs := strings.Split(resource, "/")
		name = segs[len(segs)-1]
	case strings.HasPrefix(resource, "assumed-role/"):
		segs := strings.Split(resource, "/")
		if len(segs) != 3 {
			return ""
		}
		name = segs[1]
	case resource == "root":
		name = "root"
	default:
		return ""
	}
	return safeSubject(account + "-" + name)
}

// safeSubject keeps subjects usable inside an object key prefix: no '/', no dot segments, no
// control characters.
func safeSubject(s string) string {
	if s == "" || s == "." || s == ".." || len(s) > 256 {
		return ""
	}
	for _, r := range s {
		if r < 0x20 || r == 0x7f || r == '/' || r == '\\' {
			return ""
		}
	}
	return s
}

// cognitoSubject turns a Cognito identity id ("us-east-1:3f29…") into a subject that fits in
// a key prefix: the region's colon becomes "_" ("us-east-1_3f29…").
func cognitoSubject(id string) string {
	return safeSubject(strings.Replace(id, ":", "_", 1))
}

func stringClaims(v any) map[string]string {
	m, ok := v.(map[string]any)
	if !ok {
		return nil
	}
	out := make(map[string]string, len(m))
	for k, x := range m {
		switch x := x.(type) {
		case string:
			out[k] = x
		case nil:
		default:
			out[k] = fmt.Sprint(x)
		}
	}
	return out
}

// identityV1 reads a REST API (payload 1.0) requestContext.
func identityV1(ev *events.APIGatewayProxyRequest) *Identity {
	rc := &ev.RequestContext
	// Cognito user pool authorizer (REST): authorizer.claims; HTTP API JWT in payload 1.0:
	// authorizer.jwt.claims.
	if claims := stringClaims(rc.Authorizer["claims"]); claims["sub"] != "" {
		return &Identity{Subject: safeSubject(claims["sub"]), Source: "cognito", Claims: claims}
	}
	if jwt, ok := rc.Authorizer["jwt"].(map[string]any); ok {
		if claims := stringClaims(jwt["claims"]); claims["sub"] != "" {
			return &Identity{Subject: safeSubject(claims["sub"]), Source: "jwt", Claims: claims}
		}
	}
	id := rc.Identity
	if id.CognitoAuthenticationType == "authenticated" && id.CognitoIdentityID != "" {
		return &Identity{Subject: cognitoSubject(id.CognitoIdentityID), Source: "cognito-identity",
			ARN: id.UserArn, AccessKeyID: id.AccessKey, AccountID: id.AccountID}
	}
	if id.UserArn != "" && id.AccessKey != "" {
		return &Identity{Subject: iamSubject(id.UserArn), Source: "iam", ARN: id.UserArn,
			AccessKeyID: id.AccessKey, AccountID: id.AccountID}
	}
	if p, ok := rc.Authorizer["principalId"].(string); ok && p != "" {
		return &Identity{Subject: safeSubject(p), Source: "lambda", Claims: stringClaims(rc.Authorizer)}
	}
	return nil
}

// identityV2 reads an HTTP API or function URL (payload 2.0) requestContext.
func identityV2(ev *events.APIGatewayV2HTTPRequest) *Identity {
	a := ev.RequestContext.Authorizer
	if a == nil {
		return nil
	}
	if a.JWT != nil && a.JWT.Claims["sub"] != "" {
		return &Identity{Subject: safeSubject(a.JWT.Claims["sub"]), Source: "jwt", Claims: a.JWT.Claims, Scopes: a.JWT.Scopes}
	}
	if iam := a.IAM; iam != nil && iam.UserARN != "" {
		if iam.CognitoIdentity.IdentityID != "" {
			return &Identity{Subject: cognitoSubject(iam.CognitoIdentity.IdentityID), Source: "cognito-identity",
				ARN: iam.UserARN, AccessKeyID: iam.AccessKey, AccountID: iam.AccountID}
		}
		return &Identity{Subject: iamSubject(iam.UserARN), Source: "iam", ARN: iam.UserARN,
			AccessKeyID: iam.AccessKey, AccountID: iam.AccountID}
	}
	if p, ok := a.Lambda["principalId"].(string); ok && p != "" {
		return &Identity{Subject: safeSubject(p), Source: "lambda", Claims: stringClaims(a.Lambda)}
	}
	return nil
}
