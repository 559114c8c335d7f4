package issuer

import (
	"math"
	"sync"
	"time"
)

// maxBuckets bounds the limiter's memory; idle buckets (full again) are swept when it fills.
const maxBuckets = 100_000

// limiter is a token bucket per identity. Safe for concurrent use.
type limiter struct {
	rate  float64 // tokens per second; 0 = unlimited
	burst float64

	mu      sync.Mutex
	buckets map[string]*bucket
}

type bucket struct {
	tokens float64
	last   time.Time
}

func newLimiter(c RateLimitConfig) *limiter {
	l := &limiter{rate: c.PerIdentity.PerSecond(), burst: float64(c.Burst), buckets: map[string]*bucket{}}
	if l.burst <= 0 {
		l.burst = math.Max(1, math.Ceil(l.rate))
	}
	return l
}

// allow takes one token for id at now; when none is left it returns false and the seconds
// until one is (for Retry-After).
func (l *limiter) allow(id string, now time.Time) (bool, int) {
	if l.rate <= 0 {
		return true, 0
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	b := l.buckets[id]
	if b == nil {
		if len(l.buckets) >= maxBuckets {
			l.sweep(now)
		}
		b = &bucket{tokens: l.burst, last: now}
		l.buckets[id] = b
	}
	if el := now.Sub(b.last).Seconds(); el > 0 {
		b.tokens = math.Min(l.burst, b.tokens+el*l.rate)
		b.last = now
	}
	if b.tokens >= 1 {
		b.tokens--
		return true, 0
	}
	wait := int(math.Ceil((1 - b.tokens) / l.rate))
	return false, max(wait, 1)
}

// sweep drops buckets that have refilled completely (they behave as new ones); if none
// has, it drops everything rather than grow without bound.
func (l *limiter) sweep(now time.Time) {
	for k, b := range l.buckets {
		if b.tokens+now.Sub(b.last).Seconds()*l.rate >= l.burst {
			delete(l.buckets, k)
		}
	}
	if len(l.buckets) >= maxBuckets {
		clear(l.buckets)
	}
}
