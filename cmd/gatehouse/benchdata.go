package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"gatehouse/internal/benchdata"
	"gatehouse/internal/gatehouse"
	"gatehouse/internal/password"
)

// splitFlags takes the flags named in own out of args (as -name=v, --name=v
// or --name v) and returns them apart from the rest.
func splitFlags(args []string, own map[string]bool) (mine, rest []string) {
	for i := 0; i < len(args); i++ {
		a := args[i]
		name := strings.TrimLeft(a, "-")
		name, _, hasValue := strings.Cut(name, "=")
		if strings.HasPrefix(a, "-") && own[name] {
			mine = append(mine, a)
			if !hasValue && i+1 < len(args) {
				mine = append(mine, args[i+1])
				i++
			}
			continue
		}
		rest = append(rest, a)
	}
	return mine, rest
}

// benchData fills an empty database with synthetic data for the benchmarks.
func benchData(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	o := benchdata.Defaults()
	fs := flag.NewFlagSet("gatehouse bench-data", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.IntVar(&o.Communities, "communities", o.Communities, "communities")
	fs.Int64Var(&o.Entries, "entries", o.Entries, "entries over the whole period")
	fs.IntVar(&o.Days, "days", o.Days, "days the entries span, ending now")
	fs.IntVar(&o.Residents, "residents", o.Residents, "residents per community")
	fs.IntVar(&o.Visitors, "visitors", o.Visitors, "visitors in the district")
	fs.IntVar(&o.Companies, "companies", o.Companies, "property companies running the communities (0: no supervision data)")
	fs.IntVar(&o.AgentDays, "agent-days", o.AgentDays, "days each community's first gate has had an agent reporting in")
	fs.Uint64Var(&o.Seed, "seed", o.Seed, "random seed (the same seed makes the same data)")
	samples := fs.String("samples", "", "write sample ID numbers and community ids (JSON) to this file")
	own := map[string]bool{}
	fs.VisitAll(func(f *flag.Flag) { own[f.Name] = true })
	mine, rest := splitFlags(args, own)
	if err := fs.Parse(mine); err != nil {
		return &usageError{err.Error()}
	}
	if o.Communities < 1 || o.Entries < 1 || o.Days < 1 || o.Residents < 1 || o.Visitors < 20 || o.Companies < 0 || o.AgentDays < 0 {
		return &usageError{"bench-data: communities, entries, days and residents must be positive, visitors at least 20, companies and agent-days not negative"}
	}
	cfg, _, err := loadConfig("bench-data", rest, getenv, stderr)
	if err != nil {
		return err
	}
	log := newLogger(cfg, stderr)
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
	if _, err := db.Migrate(ctx); err != nil {
		return err
	}
	engine, err := newEngine(ctx, db, log)
	if err != nil {
		return err
	}
	admin, err := bootstrapAdmin(ctx, db, cfg, log)
	if err != nil {
		return err
	}
	if admin != nil {
		banner(stdout, "", "", admin)
	}
	o.Now, o.KeyID, o.Progress = time.Now().UTC(), engine.Keys().CurrentID(), stderr
	start := time.Now()
	res, err := benchdata.New(o).Fill(ctx, db)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "bench-data: %d communities, %d residents, %d visitors, %d passes, %d entries, %d companies, %d inspections, %d incidents, %d gate-hours in %s\n",
		res.Communities, res.Residents, res.Visitors, res.Passes, res.Entries, res.Companies, res.Inspections, res.Incidents, res.GateHours,
		time.Since(start).Round(time.Second))
	if *samples != "" {
		b, _ := json.MarshalIndent(map[string]any{"id_numbers": res.SampleIDNumbers, "communities": res.Communities, "entries": res.Entries,
			"property_companies": res.Companies}, "", "  ")
		if err := os.WriteFile(*samples, b, 0o600); err != nil {
			return err
		}
	}
	// A police account covering every community, for the search benchmark.
	h, err := password.Default.Hash(cfg.AdminPassword + "-police")
	if err == nil && cfg.AdminPassword != "" {
		ids := make([]int64, res.Communities)
		for i := range ids {
			ids[i] = int64(i + 1)
		}
		err = db.CreateUser(ctx, &gatehouse.User{Username: "bench-police", PasswordHash: h, Role: gatehouse.RolePolice, Communities: ids})
	}
	return err
}
