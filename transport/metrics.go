package transport

import (
	"errors"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Directions and operations used as metric label values.
const (
	DirectionUp   = "up"
	DirectionDown = "down"

	OpDial     = "dial"
	OpUpload   = "upload"
	OpList     = "list"
	OpDownload = "download"
	OpRecord   = "record"
	OpArchive  = "archive"
	OpPoll     = "poll"
)

// Metrics are the Prometheus collectors of the SFTP transport, shared by the
// clients of every payer (each series is labeled with the payer).
//
//	clearhouse_transport_files_total{payer,direction}      files transferred
//	clearhouse_transport_bytes_total{payer,direction}      bytes transferred
//	clearhouse_transport_failures_total{payer,operation}   failed attempts
//	clearhouse_transport_operation_seconds{payer,operation} attempt latency
type Metrics struct {
	files    *prometheus.CounterVec
	bytes    *prometheus.CounterVec
	failures *prometheus.CounterVec
	latency  *prometheus.HistogramVec
}

// NewMetrics creates the collectors and registers them on reg. A nil reg
// leaves them unregistered. Registering twice on the same registry returns
// the collectors already there, so every client of a process can call it.
func NewMetrics(reg prometheus.Registerer) (*Metrics, error) {
	m := &Metrics{
		files: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "clearhouse", Subsystem: "transport", Name: "files_total",
			Help: "Files transferred over SFTP, by payer and direction (up, down).",
		}, []string{"payer", "direction"}),
		bytes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "clearhouse", Subsystem: "transport", Name: "bytes_total",
			Help: "Bytes transferred over SFTP, by payer and direction (up, down).",
		}, []string{"payer", "direction"}),
		failures: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "clearhouse", Subsystem: "transport", Name: "failures_total",
			Help: "Failed SFTP operation attempts, by payer and operation.",
		}, []string{"payer", "operation"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: "clearhouse", Subsystem: "transport", Name: "operation_seconds",
			Help:    "Latency of SFTP operation attempts, by payer and operation.",
			Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60, 120, 300},
		}, []string{"payer", "operation"}),
	}
	if reg == nil {
		return m, nil
	}
	var err error
	m.files, err = register(reg, m.files)
	if err != nil {
		return nil, err
	}
	m.bytes, err = register(reg, m.bytes)
	if err != nil {
		return nil, err
	}
	m.failures, err = register(reg, m.failures)
	if err != nil {
		return nil, err
	}
	m.latency, err = register(reg, m.latency)
	if err != nil {
		return nil, err
	}
	return m, nil
}

func register[C prometheus.Collector](reg prometheus.Registerer, c C) (C, error) {
	err := reg.Register(c)
	if err == nil {
		return c, nil
	}
	var are prometheus.AlreadyRegisteredError
	if errors.As(err, &are) {
		if existing, ok := are.ExistingCollector.(C); ok {
			return existing, nil
		}
	}
	return c, err
}

func (m *Metrics) transferred(payer, direction string, n int64) {
	m.files.WithLabelValues(payer, direction).Inc()
	m.bytes.WithLabelValues(payer, direction).Add(float64(n))
}

func (m *Metrics) failed(payer, op string) {
	m.failures.WithLabelValues(payer, op).Inc()
}

func (m *Metrics) observe(payer, op string, d time.Duration) {
	m.latency.WithLabelValues(payer, op).Observe(d.Seconds())
}
