// Package metrics is Gatehouse's Prometheus instrumentation: scans by
// decision and reason, scan latency, HTTP requests by route and status,
// database pool statistics, entries written, audit events, live streams and
// webhook deliveries.
package metrics

import (
	"database/sql"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"gatehouse/internal/gatehouse"
)

// Metrics holds the collectors of one server, in its own registry (no
// globals: tests make as many servers as they like).
type Metrics struct {
	reg          *prometheus.Registry
	scans        *prometheus.CounterVec
	scanDuration prometheus.Histogram
	requests     *prometheus.CounterVec
	reqDuration  *prometheus.HistogramVec
	entries      *prometheus.CounterVec
	audit        *prometheus.CounterVec
	streams      prometheus.Gauge
	streamLimits *prometheus.CounterVec
	webhooks     *prometheus.CounterVec
	retries      *prometheus.CounterVec
}

// New registers Gatehouse's collectors and Go's runtime and process ones.
func New() *Metrics {
	m := &Metrics{reg: prometheus.NewRegistry()}
	m.scans = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "gatehouse_scans_total",
		Help: "Scans decided, by decision and reason."}, []string{"decision", "reason"})
	m.scanDuration = prometheus.NewHistogram(prometheus.HistogramOpts{Name: "gatehouse_scan_duration_seconds",
		Help:    "Time from a scan request's arrival to its answer.",
		Buckets: []float64{.0005, .001, .002, .005, .01, .02, .05, .1, .25, .5, 1, 2.5}})
	m.requests = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "gatehouse_http_requests_total",
		Help: "HTTP requests, by route, method and status."}, []string{"route", "method", "status"})
	m.reqDuration = prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "gatehouse_http_request_duration_seconds",
		Help: "HTTP request durations, by route.", Buckets: prometheus.DefBuckets}, []string{"route"})
	m.entries = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "gatehouse_entries_written_total",
		Help: "Entries appended to the entry log by this process, by method."}, []string{"method"})
	m.audit = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "gatehouse_audit_events_total",
		Help: "Events written to the access audit by this process, by action."}, []string{"action"})
	m.streams = prometheus.NewGauge(prometheus.GaugeOpts{Name: "gatehouse_live_streams",
		Help: "Live event streams open on this process."})
	m.streamLimits = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "gatehouse_live_stream_limits_total",
		Help: "Live streams ended or refused by the limits: replaced (an account's oldest, for its newest) or refused (the server's limit)."},
		[]string{"action"})
	m.webhooks = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "gatehouse_webhook_deliveries_total",
		Help: "Webhook deliveries by outcome (ok, failed, dropped) and reason."}, []string{"outcome", "reason"})
	m.retries = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "gatehouse_webhook_retries_total",
		Help: "Failed webhook attempts that will be retried, by reason."}, []string{"reason"})
	m.reg.MustRegister(m.scans, m.scanDuration, m.requests, m.reqDuration, m.entries, m.audit,
		m.streams, m.streamLimits, m.webhooks, m.retries,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// WatchDB exports a connection pool's statistics, labelled with its name.
func (m *Metrics) WatchDB(name string, db *sql.DB) {
	m.reg.MustRegister(prometheus.WrapCollectorWith(prometheus.Labels{"pool": name}, collectors.NewDBStatsCollector(db, "gatehouse")))
}

// Handler serves the metrics in the Prometheus text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg})
}

// Publish counts a committed decision: an entry written, and a scan when it
// was one. It makes Metrics an access.Notifier.
func (m *Metrics) Publish(ev *gatehouse.DecisionEvent) {
	e := ev.Entry
	m.entries.WithLabelValues(string(e.Method)).Inc()
	if e.Method == gatehouse.MethodQR {
		m.scans.WithLabelValues(string(e.Decision), string(e.Reason)).Inc()
	}
}

// ScanTook records a scan's latency.
func (m *Metrics) ScanTook(d time.Duration) { m.scanDuration.Observe(d.Seconds()) }

// Request counts an HTTP request.
func (m *Metrics) Request(route, method string, status int, d time.Duration) {
	m.requests.WithLabelValues(route, method, strconv.Itoa(status)).Inc()
	m.reqDuration.WithLabelValues(route).Observe(d.Seconds())
}

// Audited counts an audit event.
func (m *Metrics) Audited(action string) { m.audit.WithLabelValues(action).Inc() }

// LiveStreams sets how many live streams are open.
func (m *Metrics) LiveStreams(open int) { m.streams.Set(float64(open)) }

// LiveStreamLimited counts a stream replaced or refused by the limits.
func (m *Metrics) LiveStreamLimited(action string) { m.streamLimits.WithLabelValues(action).Inc() }

// WebhookDelivery counts a webhook delivery's final outcome.
func (m *Metrics) WebhookDelivery(outcome, reason string) {
	m.webhooks.WithLabelValues(outcome, reason).Inc()
}

// WebhookRetry counts a failed attempt that will be tried again.
func (m *Metrics) WebhookRetry(reason string) { m.retries.WithLabelValues(reason).Inc() }
