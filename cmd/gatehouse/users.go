package main

import (
	"context"
	"crypto/rand"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math/big"
	"strconv"
	"strings"

	"gatehouse/internal/config"
	"gatehouse/internal/gatehouse"
	"gatehouse/internal/password"
	"gatehouse/internal/service"
	"gatehouse/internal/store"
)

// users is the account service as the command line uses it: as the system
// principal, under the same rules as the API.
func users(db *store.DB) *service.Users {
	return &service.Users{Store: db, Passwords: password.Default}
}

// bootstrapAdmin creates the user admin on a database with no users (nil
// when there were users). Its password comes from GATEHOUSE_ADMIN_PASSWORD
// or is generated; the caller shows a generated one once on stdout (banner),
// never in the log.
func bootstrapAdmin(ctx context.Context, db *store.DB, cfg config.Config, log *slog.Logger) (*newAdmin, error) {
	n, err := db.CountUsers(ctx)
	if err != nil || n > 0 {
		return nil, err
	}
	pw, generated := cfg.AdminPassword, false
	if pw == "" {
		pw, generated = randomPassword(20), true
	}
	_, err = users(db).Create(ctx, service.System(), service.UserInput{Username: "admin", Password: pw, Role: gatehouse.RoleAdmin, Admin: true})
	var e *gatehouse.Error
	switch {
	case errors.As(err, &e) && e.Code == gatehouse.ECONFLICT:
		return nil, nil // another process made it first
	case errors.As(err, &e) && e.Fields["password"] != "":
		return nil, &config.Error{Setting: "GATEHOUSE_ADMIN_PASSWORD", Problem: "password " + e.Fields["password"]}
	case err != nil:
		return nil, err
	}
	log.Info("created the user admin", "password_from", map[bool]string{true: "generated", false: "GATEHOUSE_ADMIN_PASSWORD"}[generated])
	if generated {
		return &newAdmin{Password: pw}, nil
	}
	return &newAdmin{}, nil
}

// randomPassword returns n characters without look-alikes (0/O, 1/l/I).
func randomPassword(n int) string {
	const alphabet = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
	b := make([]byte, n)
	for i := range b {
		v, err := rand.Int(rand.Reader, big.NewInt(int64(len(alphabet))))
		if err != nil {
			panic(err)
		}
		b[i] = alphabet[v.Int64()]
	}
	return string(b)
}

const userUsage = `usage:
  gatehouse user passwd USERNAME [serve flags]
      sets a new password (from GATEHOUSE_NEW_PASSWORD, or generated and printed) and enables the account
  gatehouse user add USERNAME --role ROLE [--communities 1,2] [--resident ID] [--admin] [serve flags]
      creates an account (password from GATEHOUSE_NEW_PASSWORD, or generated and printed);
      an admin account needs --admin as well as --role admin`

// userCmd manages accounts from the server's command line, through the same
// account service (and rules) as the API, as the system principal.
func userCmd(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) < 2 || (args[0] != "passwd" && args[0] != "add") || strings.HasPrefix(args[1], "-") {
		return &usageError{userUsage}
	}
	verb, username, rest := args[0], args[1], args[2:]
	var in service.UserInput
	if verb == "add" {
		var err error
		if in, rest, err = parseUserAdd(rest); err != nil {
			return err
		}
	}
	cfg, _, err := loadConfig("user", rest, getenv, stderr)
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
	if err := db.CheckSchema(ctx); err != nil {
		return err
	}
	pw, generated := getenv("GATEHOUSE_NEW_PASSWORD"), false
	if pw == "" {
		pw, generated = randomPassword(20), true
	}
	svc := users(db)
	if verb == "add" {
		in.Username, in.Password = username, pw
		if _, err := svc.Create(ctx, service.System(), in); err != nil {
			return cliError(err)
		}
	} else {
		u, err := svc.ByUsername(ctx, service.System(), username)
		if err != nil {
			return fmt.Errorf("no user %q", username)
		}
		enabled := false
		if _, err := svc.Update(ctx, service.System(), u.ID, service.UserChange{Password: &pw, Disabled: &enabled}); err != nil {
			return cliError(err)
		}
	}
	if generated {
		fmt.Fprintf(stdout, "Password of %s: %s\n", username, pw)
	}
	return nil
}

// parseUserAdd reads the flags of user add; what is left are serve flags.
func parseUserAdd(args []string) (service.UserInput, []string, error) {
	var in service.UserInput
	fs := flag.NewFlagSet("user add", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	role := fs.String("role", "", "admin, manager, guard, resident or police")
	communities := fs.String("communities", "", "community ids, comma-separated")
	resident := fs.Int64("resident", 0, "the resident a resident account is")
	fs.BoolVar(&in.Admin, "admin", false, "confirms an admin account")
	// The account's flags come first; the serve flags follow them.
	var own, rest []string
	for i := 0; i < len(args); i++ {
		name := strings.TrimLeft(strings.SplitN(args[i], "=", 2)[0], "-")
		if fs.Lookup(name) == nil {
			rest = append(rest, args[i:]...)
			break
		}
		own = append(own, args[i])
		if !strings.Contains(args[i], "=") && name != "admin" && i+1 < len(args) {
			own = append(own, args[i+1])
			i++
		}
	}
	if err := fs.Parse(own); err != nil {
		return in, nil, &usageError{userUsage}
	}
	in.Role = gatehouse.Role(*role)
	for _, part := range strings.Split(*communities, ",") {
		if part = strings.TrimSpace(part); part == "" {
			continue
		}
		id, err := strconv.ParseInt(part, 10, 64)
		if err != nil {
			return in, nil, &usageError{"--communities: community ids, comma-separated, such as 1,2"}
		}
		in.CommunityIDs = append(in.CommunityIDs, id)
	}
	if *resident != 0 {
		in.ResidentID = resident
	}
	return in, rest, nil
}

// cliError says a service's refusal in one line; a password's problem
// names the variable it came from.
func cliError(err error) error {
	var e *gatehouse.Error
	if !errors.As(err, &e) {
		return err
	}
	if msg := e.Fields["password"]; msg != "" {
		return &config.Error{Setting: "GATEHOUSE_NEW_PASSWORD", Problem: "password " + msg}
	}
	return errors.New(e.Message)
}
