package edge

import (
	"errors"
	"strconv"
	"sync"

	"github.com/prometheus/client_golang/prometheus"
)

// metrics are the edge's Prometheus collectors. Hot-path children are resolved once.
type metrics struct {
	requests    *prometheus.CounterVec   // status, reason
	cache       *prometheus.CounterVec   // result
	originDur   *prometheus.HistogramVec // origin, outcome
	bytes       prometheus.Counter
	verifyCache *prometheus.CounterVec // result: hit|miss

	hit, miss, reval, bypass prometheus.Counter
	sigHit, sigMiss          prometheus.Counter
	ok                       prometheus.Counter // requests_total{status="200",reason=""}

	mu       sync.RWMutex
	byStatus map[statusReason]prometheus.Counter
}

type statusReason struct {
	status int
	reason string
}

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	m := &metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "signet", Subsystem: "edge", Name: "requests_total",
			Help: "Viewer requests by response status and rejection reason (empty when served).",
		}, []string{"status", "reason"}),
		cache: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "signet", Subsystem: "edge", Name: "cache_requests_total",
			Help: "Cache lookups by result: hit, miss, revalidated, bypass.",
		}, []string{"result"}),
		originDur: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: "signet", Subsystem: "edge", Name: "origin_duration_seconds",
			Help:    "Time to the origin's response headers.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30},
		}, []string{"origin", "outcome"}),
		bytes: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: "signet", Subsystem: "edge", Name: "response_bytes_total",
			Help: "Response body bytes written to viewers.",
		}),
		verifyCache: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "signet", Subsystem: "edge", Name: "signature_cache_total",
			Help: "Verified signatures by whether the verified-signature cache skipped the crypto.",
		}, []string{"result"}),
		byStatus: map[statusReason]prometheus.Counter{},
	}
	if reg != nil {
		for _, c := range []prometheus.Collector{m.requests, m.cache, m.originDur, m.bytes, m.verifyCache} {
			if err := reg.Register(c); err != nil {
				var are prometheus.AlreadyRegisteredError
				if !errors.As(err, &are) {
					return nil, err
				}
			}
		}
	}
	m.hit = m.cache.WithLabelValues("hit")
	m.miss = m.cache.WithLabelValues("miss")
	m.reval = m.cache.WithLabelValues("revalidated")
	m.bypass = m.cache.WithLabelValues("bypass")
	m.sigHit = m.verifyCache.WithLabelValues("hit")
	m.sigMiss = m.verifyCache.WithLabelValues("miss")
	m.ok = m.requests.WithLabelValues("200", "")
	return m, nil
}

func (m *metrics) request(status int, reason string) {
	if status == 200 && reason == "" {
		m.ok.Inc()
		return
	}
	k := statusReason{status, reason}
	m.mu.RLock()
	c, ok := m.byStatus[k]
	m.mu.RUnlock()
	if !ok {
		c = m.requests.WithLabelValues(strconv.Itoa(status), reason)
		m.mu.Lock()
		if len(m.byStatus) < 1024 {
			m.byStatus[k] = c
		}
		m.mu.Unlock()
	}
	c.Inc()
}
