package s3api

import (
	"context"
	"errors"
	"net/http"

	"github.com/signet-project/signet/sigv4"
	"github.com/signet-project/signet/store"
)

// apiErr builds an S3 error. The one table of codes this package answers with besides the
// sigv4 ones (spec/sigv4.md §4.1) is below; messages are S3's.
func apiErr(code string, status int, msg string, extra ...[2]string) *sigv4.Error {
	return &sigv4.Error{Code: code, Status: status, Message: msg, Extra: extra}
}

const (
	msgNoSuchKey        = "The specified key does not exist."
	msgNoSuchBucket     = "The specified bucket does not exist"
	msgBucketOwned      = "Your previous request to create the named bucket succeeded and you already own it."
	msgBucketNotEmpty   = "The bucket you tried to delete is not empty"
	msgInvalidBucket    = "The specified bucket is not valid."
	msgKeyTooLong       = "Your key is too long"
	msgInvalidKey       = "Object key is not valid: it must be 1 to 1024 bytes of UTF-8 without control characters."
	msgBadDigest        = "The Content-MD5 you specified did not match what we received."
	msgInvalidToken     = "The continuation token provided is incorrect"
	msgNoSuchUpload     = "The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed."
	msgInvalidPart      = "One or more of the specified parts could not be found. The part may not have been uploaded, or the specified entity tag may not match the part's entity tag."
	msgInvalidPartOrder = "The list of parts was not in ascending order. Parts must be ordered by part number."
	msgEntityTooSmall   = "Your proposed upload is smaller than the minimum allowed object size."
	msgEntityTooLarge   = "Your proposed upload exceeds the maximum allowed size"
	msgInvalidRange     = "The requested range is not satisfiable"
	msgInternal         = "We encountered an internal error. Please try again."
	msgMalformedXML     = "The XML you provided was not well-formed or did not validate against our published schema"
	msgMethodNotAllowed = "The specified method is not allowed against this resource."
	msgNotImplemented   = "A header you provided implies functionality that is not implemented"
	msgPrecondition     = "At least one of the pre-conditions you specified did not hold"
	msgMetadataTooLarge = "Your metadata headers exceed the maximum allowed metadata size"
	msgCORSForbidden    = "CORSResponse: This CORS request is not allowed. This is usually because the evalution of Origin, request method / Access-Control-Request-Method or Access-Control-Request-Headers are not whitelisted by the resource's CORS spec."
	msgMissingLength    = "You must provide the Content-Length HTTP header."
)

var errMethodNotAllowed = apiErr("MethodNotAllowed", http.StatusMethodNotAllowed, msgMethodNotAllowed)

func errNotImplemented(what string) *sigv4.Error {
	return apiErr("NotImplemented", http.StatusNotImplemented, msgNotImplemented, [2]string{"Feature", what})
}

func errInvalidArgument(msg, name, value string) *sigv4.Error {
	return apiErr("InvalidArgument", http.StatusBadRequest, msg, [2]string{"ArgumentName", name}, [2]string{"ArgumentValue", value})
}

func errMalformedXML() *sigv4.Error {
	return apiErr("MalformedXML", http.StatusBadRequest, msgMalformedXML)
}

// toS3 maps an error from the store (or a verified body) to its S3 error.
func toS3(err error, bucket, key string) *sigv4.Error {
	var se *sigv4.Error
	if errors.As(err, &se) {
		return se
	}
	var ke *store.KeyError
	switch {
	case errors.As(err, &ke) && ke.Reason == store.KeyTooLong:
		return apiErr("KeyTooLongError", http.StatusBadRequest, msgKeyTooLong)
	case errors.Is(err, store.ErrInvalidKey):
		return apiErr("InvalidArgument", http.StatusBadRequest, msgInvalidKey)
	case errors.Is(err, store.ErrNotFound):
		return apiErr("NoSuchKey", http.StatusNotFound, msgNoSuchKey, [2]string{"Key", key})
	case errors.Is(err, store.ErrBucketNotFound):
		return apiErr("NoSuchBucket", http.StatusNotFound, msgNoSuchBucket, [2]string{"BucketName", bucket})
	case errors.Is(err, store.ErrBucketExists):
		return apiErr("BucketAlreadyOwnedByYou", http.StatusConflict, msgBucketOwned, [2]string{"BucketName", bucket})
	case errors.Is(err, store.ErrBucketNotEmpty):
		return apiErr("BucketNotEmpty", http.StatusConflict, msgBucketNotEmpty, [2]string{"BucketName", bucket})
	case errors.Is(err, store.ErrInvalidBucket):
		return apiErr("InvalidBucketName", http.StatusBadRequest, msgInvalidBucket, [2]string{"BucketName", bucket})
	case errors.Is(err, store.ErrBadDigest):
		return apiErr("BadDigest", http.StatusBadRequest, msgBadDigest)
	case errors.Is(err, store.ErrInvalidToken):
		return errInvalidArgument(msgInvalidToken, "continuation-token", "")
	case errors.Is(err, store.ErrNoSuchUpload):
		return apiErr("NoSuchUpload", http.StatusNotFound, msgNoSuchUpload)
	case errors.Is(err, store.ErrInvalidPartOrder):
		return apiErr("InvalidPartOrder", http.StatusBadRequest, msgInvalidPartOrder)
	case errors.Is(err, store.ErrInvalidPart):
		return apiErr("InvalidPart", http.StatusBadRequest, msgInvalidPart)
	case errors.Is(err, store.ErrEntityTooSmall):
		return apiErr("EntityTooSmall", http.StatusBadRequest, msgEntityTooSmall)
	case errors.Is(err, errTooLarge):
		return apiErr("EntityTooLarge", http.StatusBadRequest, msgEntityTooLarge)
	case errors.Is(err, store.ErrInvalidRange):
		return apiErr("InvalidRange", http.StatusRequestedRangeNotSatisfiable, msgInvalidRange)
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return apiErr("RequestTimeout", http.StatusBadRequest, "Your socket connection to the server was not read from or written to within the timeout period.")
	}
	return apiErr("InternalError", http.StatusInternalServerError, msgInternal)
}

var errTooLarge = errors.New("s3api: object larger than the maximum size")
