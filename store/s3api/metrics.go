package s3api

import (
	"errors"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

type metrics struct {
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
}

func register[C prometheus.Collector](reg prometheus.Registerer, c C) (C, error) {
	if err := reg.Register(c); err != nil {
		var are prometheus.AlreadyRegisteredError
		if errors.As(err, &are) {
			if existing, ok := are.ExistingCollector.(C); ok {
				return existing, nil
			}
		}
		return c, err
	}
	return c, nil
}

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	req, err := register(reg, prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "signet_store_requests_total", Help: "S3 API requests by operation and HTTP status.",
	}, []string{"op", "status"}))
	if err != nil {
		return nil, err
	}
	dur, err := register(reg, prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "signet_store_request_duration_seconds", Help: "S3 API request duration by operation.",
		Buckets: prometheus.ExponentialBuckets(0.0005, 4, 10),
	}, []string{"op"}))
	if err != nil {
		return nil, err
	}
	return &metrics{requests: req, duration: dur}, nil
}

func (m *metrics) observe(op string, status int, d time.Duration) {
	m.requests.WithLabelValues(op, strconv.Itoa(status)).Inc()
	m.duration.WithLabelValues(op).Observe(d.Seconds())
}
