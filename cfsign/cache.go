package cfsign

import (
	"hash/maphash"
	"sync"
)

// sigCache remembers verified signatures (spec/cloudfront.md §9.11). An entry is keyed on every
// signed byte and everything choosing the verification: hash algorithm, key id, signature and
// policy bytes; the full key is stored and compared, so a hash collision is only a miss. An entry
// never outlives its policy's DateLessThan, and a hit skips only the signature check (step 7):
// the policy it memoizes is what parsing the same bytes again would give, and every other check
// still runs. The cache belongs to one Verifier, so a key id always names the same material.
type sigCache struct {
	seed   maphash.Seed
	shards [cacheShards]cacheShard
	per    int // capacity per shard
}

const cacheShards = 32

type cacheShard struct {
	mu sync.RWMutex
	m  map[uint64]*cacheEntry
}

type cacheEntry struct {
	key   string
	cp    *compiledPolicy
	grant *Grant // the memo's whole verification; nil in the signature cache
	dlt   int64  // the entry is dead at or after this Unix time
}

func newSigCache(size int) *sigCache {
	c := &sigCache{seed: maphash.MakeSeed(), per: max(1, (size+cacheShards-1)/cacheShards)}
	for i := range c.shards {
		c.shards[i].m = make(map[uint64]*cacheEntry)
	}
	return c
}

func (c *sigCache) hash(key []byte) uint64 { return maphash.Bytes(c.seed, key) }

// get returns the live entry for key, or nil.
func (c *sigCache) get(h uint64, key []byte, now int64) *cacheEntry {
	s := &c.shards[h%cacheShards]
	s.mu.RLock()
	e := s.m[h]
	s.mu.RUnlock()
	if e == nil || e.key != string(key) || now >= e.dlt {
		return nil
	}
	return e
}

// put remembers a verified signature until its policy's DateLessThan. When the shard is full it
// drops an expired entry if it finds one among a few, else an arbitrary one (map order is random).
func (c *sigCache) put(h uint64, key []byte, cp *compiledPolicy, g *Grant, now int64) {
	dlt := cp.policy.DateLessThan
	if now >= dlt {
		return
	}
	e := &cacheEntry{key: string(key), cp: cp, grant: g, dlt: dlt}
	s := &c.shards[h%cacheShards]
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.m[h]; !ok && len(s.m) >= c.per {
		var victim uint64
		n := 0
		for k, old := range s.m {
			if n == 0 || now >= old.dlt {
				victim = k
				if now >= old.dlt {
					break
				}
			}
			if n++; n >= 8 {
				break
			}
		}
		delete(s.m, victim)
	}
	s.m[h] = e
}

// len returns the number of entries (tests).
func (c *sigCache) len() int {
	n := 0
	for i := range c.shards {
		c.shards[i].mu.RLock()
		n += len(c.shards[i].m)
		c.shards[i].mu.RUnlock()
	}
	return n
}
