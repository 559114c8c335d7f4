//go:build integration

package cfsign_test

import (
	"encoding/base64"
	"net/http"
)

type httpCookie = http.Cookie

func base64Std(s string) ([]byte, error) { return base64.StdEncoding.DecodeString(s) }
