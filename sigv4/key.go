package sigv4

import (
	"container/list"
	"crypto/fips140"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"sync"
)

// defaultKeyCacheSize bounds the derived-key cache (spec/sigv4.md §2.3).
const defaultKeyCacheSize = 1024

// keyID identifies one derived signing key. The secret is part of the key so that a rotated
// secret under the same access key never reuses a stale derived key.
type keyID struct {
	akid, secret, date, region, service string
}

// keyCache is a bounded LRU of derived signing keys, safe for concurrent use. Keys are never
// logged.
type keyCache struct {
	mu    sync.Mutex
	max   int
	ll    *list.List
	items map[keyID]*list.Element
}

type keyEntry struct {
	id  keyID
	key [32]byte
}

func newKeyCache(max int) *keyCache {
	if max <= 0 {
		max = defaultKeyCacheSize
	}
	return &keyCache{max: max, ll: list.New(), items: make(map[keyID]*list.Element)}
}

// get returns kSigning for id, deriving and caching it on a miss (spec/sigv4.md §1.7).
func (c *keyCache) get(id keyID) [32]byte {
	c.mu.Lock()
	if el, ok := c.items[id]; ok {
		c.ll.MoveToFront(el)
		k := el.Value.(*keyEntry).key
		c.mu.Unlock()
		return k
	}
	c.mu.Unlock()
	k := deriveKey(id.secret, id.date, id.region, id.service)
	c.mu.Lock()
	if _, ok := c.items[id]; !ok {
		c.items[id] = c.ll.PushFront(&keyEntry{id: id, key: k})
		for c.ll.Len() > c.max {
			old := c.ll.Back()
			c.ll.Remove(old)
			delete(c.items, old.Value.(*keyEntry).id)
		}
	}
	c.mu.Unlock()
	return k
}

// flush empties the cache (credential reload).
func (c *keyCache) flush() {
	c.mu.Lock()
	c.ll.Init()
	clear(c.items)
	c.mu.Unlock()
}

func (c *keyCache) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.ll.Len()
}

// fipsShortSecret reports a secret whose first HMAC key ("AWS4"+secret) is under 112 bits,
// which crypto/hmac refuses with a panic in FIPS 140-only mode.
func fipsShortSecret(secret string) bool { return len(secret) < 10 && fips140.Enforced() }

// deriveKey computes kSigning = HMAC(HMAC(HMAC(HMAC("AWS4"+secret, date), region), service),
// "aws4_request") (spec/sigv4.md §1.7).
func deriveKey(secret, date, region, service string) [32]byte {
	var out [32]byte
	k := hmacSum([]byte("AWS4"+secret), date)
	k = hmacSum(k, region)
	k = hmacSum(k, service)
	k = hmacSum(k, "aws4_request")
	copy(out[:], k)
	return out
}

func hmacSum(key []byte, data string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(data))
	return m.Sum(nil)
}

// signHex returns hex(HMAC-SHA256(key, sts)) appended to dst.
func signHex(dst []byte, key *[32]byte, sts []byte) []byte {
	m := hmac.New(sha256.New, key[:])
	m.Write(sts)
	var sum [32]byte
	return hex.AppendEncode(dst, m.Sum(sum[:0]))
}

// signRaw returns HMAC-SHA256(key, sts).
func signRaw(key *[32]byte, sts []byte) [32]byte {
	m := hmac.New(sha256.New, key[:])
	m.Write(sts)
	var sum [32]byte
	m.Sum(sum[:0])
	return sum
}
