package main

import (
	"context"
	"encoding/base64"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"time"

	"gatehouse/internal/config"
	"gatehouse/internal/keys"
	"gatehouse/internal/store"
)

// openForTool opens the database and key directory of cfg for an admin
// command; both must exist already and the schema must be current.
func openForTool(ctx context.Context, name string, args []string, getenv func(string) string, stderr io.Writer) (*store.DB, []string, error) {
	cfg, rest, err := loadConfig(name, args, getenv, stderr)
	if err != nil {
		return nil, nil, err
	}
	db, err := openStore(ctx, cfg, nil)
	if err != nil {
		return nil, nil, err
	}
	k, err := keys.Load(cfg.KeyDir)
	if err != nil {
		db.Close()
		return nil, nil, &config.Error{Setting: "GATEHOUSE_KEY_DIR", Problem: oneLine(err.Error())}
	}
	db.UseKeys(k)
	if err := db.CheckSchema(ctx); err != nil {
		db.Close()
		return nil, nil, err
	}
	return db, rest, nil
}

const keysUsage = "usage: gatehouse keys list | rotate | remove KID  [serve flags]"

// keysCmd lists, rotates and removes the code-signing keys. Running servers
// pick a rotation up within 5 seconds (and at once when they meet a code
// signed with the new key).
func keysCmd(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return &usageError{keysUsage}
	}
	verb, rest := args[0], args[1:]
	var kid uint64
	if verb == "remove" {
		if len(rest) == 0 {
			return &usageError{keysUsage}
		}
		var err error
		if kid, err = strconv.ParseUint(rest[0], 10, 32); err != nil {
			return &usageError{"KID must be a key id from `gatehouse keys list`"}
		}
		rest = rest[1:]
	}
	db, _, err := openForTool(ctx, "keys", rest, getenv, stderr)
	if err != nil {
		return err
	}
	defer db.Close()
	switch verb {
	case "list":
		ks, err := db.SigningKeys(ctx)
		if err != nil {
			return err
		}
		for i, k := range ks {
			mark := ""
			if i == len(ks)-1 {
				mark = "  (signs new codes)"
			}
			fmt.Fprintf(stdout, "%d  %s  %s%s\n", k.ID, k.CreatedAt.Format("2006-01-02T15:04:05Z"), base64.StdEncoding.EncodeToString(k.Public), mark)
		}
	case "rotate":
		k, err := db.CreateSigningKey(ctx)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "key %d now signs new codes; older keys keep verifying until removed with `gatehouse keys remove KID`\n", k.ID)
	case "remove":
		ks, err := db.SigningKeys(ctx)
		if err != nil {
			return err
		}
		if len(ks) > 0 && uint64(ks[len(ks)-1].ID) == kid {
			return fmt.Errorf("key %d is the one signing new codes: rotate first", kid)
		}
		if err := db.RemoveSigningKey(ctx, uint32(kid)); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "key %d removed: codes signed with it no longer verify\n", kid)
	default:
		return &usageError{keysUsage}
	}
	return nil
}

// verifyLog checks the entry hash chains (of one community, or all) and
// fails naming the first broken entry.
func verifyLog(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	var communities []int64
	if len(args) > 0 && args[0] != "" && args[0][0] != '-' {
		id, err := strconv.ParseInt(args[0], 10, 64)
		if err != nil || id <= 0 {
			return &usageError{"usage: gatehouse verify-log [COMMUNITY_ID] [serve flags]"}
		}
		communities, args = []int64{id}, args[1:]
	}
	db, _, err := openForTool(ctx, "verify-log", args, getenv, stderr)
	if err != nil {
		return err
	}
	defer db.Close()
	rep, err := db.VerifyChains(ctx, communities)
	if err != nil {
		return err
	}
	if rep.OK {
		fmt.Fprintf(stdout, "ok: %d entries checked, every chain verifies\n", rep.Checked)
		return nil
	}
	b := rep.FirstBroken
	return fmt.Errorf("the entry log of community %d is broken at entry %d (seq %d): %s; %d entries checked",
		b.CommunityID, b.EntryID, b.Seq, b.Problem, rep.Checked)
}

// retentionCmd erases personal data older than the retention period now
// (serve does the same once a day).
func retentionCmd(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "run" {
		return &usageError{"usage: gatehouse retention run [serve flags]"}
	}
	cfg, _, err := loadConfig("retention", args[1:], getenv, stderr)
	if err != nil {
		return err
	}
	db, _, err := openForTool(ctx, "retention", args[1:], getenv, stderr)
	if err != nil {
		return err
	}
	defer db.Close()
	cutoff := time.Now().AddDate(0, 0, -cfg.RetentionDays)
	n, err := db.ErasePersonalData(ctx, cutoff)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "erased personal data from before %s: %d entries, %d passes, %d visitors\n",
		cutoff.UTC().Format(time.RFC3339), n.Entries, n.Passes, n.Visitors)
	return nil
}

// retentionLoop runs the retention job a minute after start and then daily.
// Every process may run it: it is idempotent.
func retentionLoop(ctx context.Context, db *store.DB, days int, log *slog.Logger) {
	wait := time.Minute
	for {
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
		wait = 24 * time.Hour
		cutoff := time.Now().AddDate(0, 0, -days)
		n, err := db.ErasePersonalData(ctx, cutoff)
		if err != nil {
			if ctx.Err() == nil {
				log.Error("retention run failed", "err", err.Error())
			}
			continue
		}
		log.Info("retention run", "before", cutoff.UTC().Format(time.RFC3339), "entries", n.Entries, "passes", n.Passes, "visitors", n.Visitors)
	}
}
