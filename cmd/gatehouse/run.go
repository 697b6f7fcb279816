package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"strings"
	"time"

	"gatehouse/internal/access"
	"gatehouse/internal/config"
	"gatehouse/internal/events"
	"gatehouse/internal/httpapi"
	"gatehouse/internal/keys"
	"gatehouse/internal/metrics"
	"gatehouse/internal/passcode"
	"gatehouse/internal/store"
	"gatehouse/static"
)

const usage = `usage: gatehouse <command> [flags]

commands:
  serve       run the server (migrates an empty database first)
  migrate     apply pending database migrations
  user        user accounts: user passwd USERNAME | user add USERNAME --role ROLE ...
  keys        code-signing keys: keys list | rotate | remove KID
  verify-log  check the entry log's hash chains: verify-log [COMMUNITY_ID]
  retention   erase personal data past the retention period: retention run
  backup      copy the SQLite database and the key directory, online: backup DIR
  bench-data  fill an empty database with synthetic data (1,200 communities, 10 million entries, 563 property companies)
  help        show this text

Every command takes the settings of serve (see gatehouse serve -h).
`

// usageError marks a mistake in the command line (exit status 2).
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func exitCode(err error) int {
	var ue *usageError
	var ce *config.Error
	if errors.As(err, &ue) || errors.As(err, &ce) {
		return 2
	}
	return 1
}

// run is the whole program; main only calls it, and tests call it too.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return &usageError{"no command given"}
	}
	cmd, rest := args[0], args[1:]
	switch cmd {
	case "serve":
		return serve(ctx, rest, getenv, stdout, stderr)
	case "migrate":
		return migrate(ctx, rest, getenv, stdout, stderr)
	case "user":
		return userCmd(ctx, rest, getenv, stdout, stderr)
	case "keys":
		return keysCmd(ctx, rest, getenv, stdout, stderr)
	case "verify-log":
		return verifyLog(ctx, rest, getenv, stdout, stderr)
	case "retention":
		return retentionCmd(ctx, rest, getenv, stdout, stderr)
	case "backup":
		return backupCmd(ctx, rest, getenv, stdout, stderr)
	case "bench-data":
		return benchData(ctx, rest, getenv, stdout, stderr)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	}
	fmt.Fprint(stderr, usage)
	return &usageError{fmt.Sprintf("unknown command %q", cmd)}
}

// loadConfig reads settings for a subcommand; -h prints its flags.
func loadConfig(name string, args []string, getenv func(string) string, stderr io.Writer) (config.Config, []string, error) {
	cfg, rest, err := config.Load("gatehouse "+name, getenv, args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return cfg, nil, errHelp
	}
	return cfg, rest, err
}

var errHelp = errors.New("help shown")

func newLogger(cfg config.Config, w io.Writer) *slog.Logger {
	var level slog.Level
	_ = level.UnmarshalText([]byte(cfg.LogLevel))
	return slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: level}))
}

// openStore opens the database of cfg; a failure names the setting at fault.
func openStore(ctx context.Context, cfg config.Config, k *keys.Keys) (*store.DB, error) {
	db, err := store.Open(ctx, cfg.DBDriver, cfg.DBDSN, k)
	if err != nil {
		return nil, &config.Error{Setting: "GATEHOUSE_DB_DSN", Problem: oneLine(err.Error())}
	}
	return db, nil
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

func loadKeys(cfg config.Config, log *slog.Logger) (*keys.Keys, error) {
	k, created, err := keys.LoadOrCreate(cfg.KeyDir)
	if err != nil {
		return nil, &config.Error{Setting: "GATEHOUSE_KEY_DIR", Problem: oneLine(err.Error())}
	}
	if len(created) > 0 {
		log.Warn("created new keys; back up the key directory with the database", "key_dir", cfg.KeyDir, "files", created)
	}
	return k, nil
}

func serve(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	cfg, _, err := loadConfig("serve", args, getenv, stderr)
	if err == errHelp {
		return nil
	} else if err != nil {
		return err
	}
	log := newLogger(cfg, stderr)
	// The database is reached before any key is made, so that a wrong DSN
	// leaves nothing behind.
	db, err := openStore(ctx, cfg, nil)
	if err != nil {
		return err
	}
	defer db.Close()
	k, err := loadKeys(cfg, log)
	if err != nil {
		return err
	}
	db.UseKeys(k)
	db.OnCheckpointError(func(err error) {
		log.Warn("SQLite WAL checkpoint failed; the WAL grows until one succeeds", "err", err.Error())
	})

	schema, err := db.Schema(ctx)
	if err != nil {
		return err
	}
	if schema.Current == 0 {
		applied, err := db.Migrate(ctx)
		if err != nil {
			return err
		}
		log.Info("migrated an empty database", "versions", applied)
	} else if err := db.CheckSchema(ctx); err != nil {
		return err
	}
	admin, err := bootstrapAdmin(ctx, db, cfg, log)
	if err != nil {
		return err
	}

	engine, err := newEngine(ctx, db, log)
	if err != nil {
		return err
	}
	go refreshKeys(ctx, engine, log)
	allow, err := events.ParseAllowList(cfg.WebhookAllow)
	if err != nil {
		return &config.Error{Setting: "GATEHOUSE_WEBHOOK_ALLOW", Problem: err.Error()}
	}
	webhooks := events.NewWebhooks(db, allow, log)
	hub := events.NewHub(db, webhooks, log)
	hub.MaxStreams, hub.MaxPerAccount = cfg.LiveMaxStreams, cfg.LiveMaxPerAccount
	m := metrics.New()
	webhooks.Metrics, hub.Metrics = m, m
	wpool, rpool := db.Pools()
	m.CountScanRetries(db.ScanRetries)
	m.WatchDB("writer", wpool)
	if rpool != wpool {
		m.WatchDB("reader", rpool)
	}
	engine.NotifyTo(access.Notifiers{hub, m})
	go webhooks.Run(ctx, 2)
	go hub.Run(ctx)
	go retentionLoop(ctx, db, cfg.RetentionDays, log)

	sender, err := smsSender(cfg, log)
	if err != nil {
		return err
	}
	api := httpapi.New(httpapi.Config{Store: db, Engine: engine, Hub: hub, Logger: log, DefaultTZ: cfg.TimeZone, SMS: sender,
		TrustedProxies: cfg.Proxies(), UI: static.FS(), Metrics: m, WebhookAllow: allow,
		PublicURL: cfg.PublicURL, RetentionDays: cfg.RetentionDays})
	go sweepVisits(ctx, api, log)
	srv := &http.Server{
		Handler:           api,
		ReadHeaderTimeout: 10 * time.Second, // a slow client cannot hold a connection forever
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second, // report downloads are the longest responses
		IdleTimeout:       120 * time.Second,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	srv.RegisterOnShutdown(api.Close)
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return &config.Error{Setting: "GATEHOUSE_ADDR", Problem: oneLine(err.Error())}
	}
	banner(stdout, listenURL(ln.Addr()), cfg.PublicURL, admin)
	log.Info("listening", "addr", ln.Addr().String(), "db", cfg.DBDriver)
	if cfg.DebugAddr != "" {
		if err := serveDebug(ctx, cfg.DebugAddr, log); err != nil {
			return &config.Error{Setting: "GATEHOUSE_DEBUG_ADDR", Problem: oneLine(err.Error())}
		}
	}

	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	// SIGTERM: stop accepting, let in-flight requests (scans) finish, then
	// close the database so the last commits are on disk.
	log.Info("shutting down", "grace", cfg.ShutdownGrace.String())
	sctx, cancel := context.WithTimeout(context.Background(), cfg.ShutdownGrace)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		log.Warn("in-flight requests did not finish within the grace period", "err", err.Error())
	}
	if err := db.Close(); err != nil {
		return fmt.Errorf("closing the database: %w", err)
	}
	log.Info("stopped")
	return nil
}

// sweepVisits expires unanswered visit requests and erases what old ones
// kept of their visitors, every minute.
func sweepVisits(ctx context.Context, api *httpapi.Server, log *slog.Logger) {
	t := time.NewTicker(time.Minute)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if _, err := api.SweepVisits(ctx); err != nil && ctx.Err() == nil {
			log.Warn("visit requests: the sweep failed", "err", err.Error())
		}
	}
}

// newEngine loads the code-signing keys, making the first one on a new
// database, and returns the decision engine.
func newEngine(ctx context.Context, db *store.DB, log *slog.Logger) (*access.Engine, error) {
	ks, err := db.SigningKeys(ctx)
	if err != nil {
		return nil, err
	}
	if len(ks) == 0 {
		k, err := db.CreateSigningKey(ctx)
		if err != nil {
			return nil, err
		}
		log.Info("created the first code-signing key", "kid", k.ID)
		ks = append(ks, k)
	}
	return access.New(db, passcode.NewKeyring(ks), nil), nil
}

// keyRefresh is how often a server reloads the signing keys.
const keyRefresh = 5 * time.Second

// refreshKeys reloads the signing keys now and then, so that a rotation made
// elsewhere starts signing here too (verification reloads on its own when it
// meets a key it does not know).
func refreshKeys(ctx context.Context, e *access.Engine, log *slog.Logger) {
	t := time.NewTicker(keyRefresh)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := e.ReloadKeys(ctx); err != nil && ctx.Err() == nil {
				log.Warn("reloading signing keys failed", "err", err.Error())
			}
		}
	}
}

func migrate(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	cfg, _, err := loadConfig("migrate", args, getenv, stderr)
	if err == errHelp {
		return nil
	} else if err != nil {
		return err
	}
	db, err := openStore(ctx, cfg, nil)
	if err != nil {
		return err
	}
	defer db.Close()
	applied, err := db.Migrate(ctx)
	if err != nil {
		return err
	}
	s, err := db.Schema(ctx)
	if err != nil {
		return err
	}
	if len(applied) == 0 {
		fmt.Fprintf(stdout, "schema is up to date at version %d\n", s.Current)
	} else {
		fmt.Fprintf(stdout, "applied migrations %v; schema is at version %d\n", applied, s.Current)
	}
	return nil
}

// serveDebug serves Go's pprof profiles on their own listener.
func serveDebug(ctx context.Context, addr string, log *slog.Logger) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() { <-ctx.Done(); srv.Close() }()
	go srv.Serve(ln)
	log.Info("debug listening", "addr", ln.Addr().String())
	return nil
}
