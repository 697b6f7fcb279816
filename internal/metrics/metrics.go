// Package metrics is Gatehouse's Prometheus instrumentation: scans by
// decision and reason, scan latency, HTTP requests by route and status,
// database pool statistics, entries written, audit events, live streams and
// webhook deliveries.
package metrics

import (
	"context"
	"database/sql"
	"net/http"
	"strconv"
	"sync"
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
	gates        *gateCollector
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
	m.gates = &gateCollector{
		offline: prometheus.NewDesc("gatehouse_gates_offline", "Enabled gates whose agent reports heartbeats and that are offline now "+
			"(the agent or its controller silent for two minutes), by community.", []string{"community_id"}, nil),
		reporting: prometheus.NewDesc("gatehouse_gates_reporting", "Enabled gates whose agent has reported a heartbeat, by community.",
			[]string{"community_id"}, nil)}
	m.reg.MustRegister(m.scans, m.scanDuration, m.requests, m.reqDuration, m.entries, m.audit,
		m.streams, m.streamLimits, m.webhooks, m.retries, m.gates,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// WatchDB exports a connection pool's statistics, labelled with its name.
func (m *Metrics) WatchDB(name string, db *sql.DB) {
	m.reg.MustRegister(prometheus.WrapCollectorWith(prometheus.Labels{"pool": name}, collectors.NewDBStatsCollector(db, "gatehouse")))
}

// CountScanRetries makes each scrape report the scan transactions tried
// again, as retries counts them (a deadlock or a Galera certification
// conflict: their share of the scans is the cost of several writers).
func (m *Metrics) CountScanRetries(retries func() int64) {
	m.reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "gatehouse_scan_retries_total",
		Help: "Scan transactions tried again after a deadlock or a Galera certification conflict."},
		func() float64 { return float64(retries()) }))
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

// GateCount is how many enabled gates of a community report heartbeats, and
// how many of those are offline.
type GateCount struct{ Reporting, Offline int }

// WatchGates makes each scrape count gates by community with count (the
// last call wins).
func (m *Metrics) WatchGates(count func(ctx context.Context) (map[int64]GateCount, error)) {
	m.gates.mu.Lock()
	m.gates.count = count
	m.gates.mu.Unlock()
}

// gateCollector asks for the gates' counts at each scrape: offline is a
// matter of the time of asking.
type gateCollector struct {
	offline, reporting *prometheus.Desc
	mu                 sync.Mutex
	count              func(ctx context.Context) (map[int64]GateCount, error)
}

func (g *gateCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- g.offline
	ch <- g.reporting
}

func (g *gateCollector) Collect(ch chan<- prometheus.Metric) {
	g.mu.Lock()
	count := g.count
	g.mu.Unlock()
	if count == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	counts, err := count(ctx)
	if err != nil {
		ch <- prometheus.NewInvalidMetric(g.offline, err)
		return
	}
	for id, c := range counts {
		cid := strconv.FormatInt(id, 10)
		ch <- prometheus.MustNewConstMetric(g.offline, prometheus.GaugeValue, float64(c.Offline), cid)
		ch <- prometheus.MustNewConstMetric(g.reporting, prometheus.GaugeValue, float64(c.Reporting), cid)
	}
}
