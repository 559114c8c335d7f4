package issuer

import (
	"errors"

	"github.com/prometheus/client_golang/prometheus"
)

// metrics are the issuer's Prometheus series; a nil *metrics records nothing.
type metrics struct {
	requests *prometheus.CounterVec
	issuedN  *prometheus.CounterVec
}

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	if reg == nil {
		return nil, nil
	}
	m := &metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "signet", Subsystem: "issuer", Name: "requests_total",
			Help: "Issuer API requests by route and result code (ok or the error code).",
		}, []string{"route", "code"}),
		issuedN: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "signet", Subsystem: "issuer", Name: "issued_total",
			Help: "Grants issued by kind (url, cookie, upload); a URL request counts each key.",
		}, []string{"kind"}),
	}
	for _, c := range []**prometheus.CounterVec{&m.requests, &m.issuedN} {
		if err := reg.Register(*c); err != nil {
			var are prometheus.AlreadyRegisteredError
			if !errors.As(err, &are) {
				return nil, err
			}
			// A second Server on the same registry shares the series.
			existing, ok := are.ExistingCollector.(*prometheus.CounterVec)
			if !ok {
				return nil, err
			}
			*c = existing
		}
	}
	return m, nil
}

func (m *metrics) request(route, code string) {
	if m != nil {
		m.requests.WithLabelValues(route, code).Inc()
	}
}

func (m *metrics) issued(kind string, n int) {
	if m != nil {
		m.issuedN.WithLabelValues(kind).Add(float64(n))
	}
}
