package docker

import (
	"bufio"
	"context"
	"crypto/rand"
	"debug/elf"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"
	"gopkg.in/yaml.v3"

	"gatehouse/internal/config"
	"gatehouse/internal/keys"
)

// instruction is one Dockerfile instruction, continuation lines joined.
type instruction struct {
	Cmd  string // upper case: FROM, RUN, ...
	Args string
}

// stage is the instructions from one FROM to the next.
type stage struct {
	From  string // the image
	Name  string // AS name
	Instr []instruction
}

func (s *stage) all(cmd string) []string {
	var out []string
	for _, in := range s.Instr {
		if in.Cmd == cmd {
			out = append(out, in.Args)
		}
	}
	return out
}

func (s *stage) last(cmd string) string {
	all := s.all(cmd)
	if len(all) == 0 {
		return ""
	}
	return all[len(all)-1]
}

func parseDockerfile(t *testing.T, name string) []*stage {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	var stages []*stage
	var cur strings.Builder
	flush := func() {
		line := strings.TrimSpace(cur.String())
		cur.Reset()
		if line == "" {
			return
		}
		cmd, args, _ := strings.Cut(line, " ")
		in := instruction{Cmd: strings.ToUpper(cmd), Args: strings.TrimSpace(args)}
		if in.Cmd == "FROM" {
			f := strings.Fields(in.Args)
			st := &stage{From: f[0]}
			if len(f) == 3 && strings.EqualFold(f[1], "AS") {
				st.Name = f[2]
			}
			stages = append(stages, st)
			return
		}
		if len(stages) == 0 {
			t.Fatalf("%s: %s before FROM", name, in.Cmd)
		}
		st := stages[len(stages)-1]
		st.Instr = append(st.Instr, in)
	}
	for _, line := range strings.Split(string(b), "\n") {
		trimmed := strings.TrimSpace(line)
		if strings.HasPrefix(trimmed, "#") {
			continue
		}
		if strings.HasSuffix(trimmed, "\\") {
			cur.WriteString(strings.TrimSuffix(trimmed, "\\") + " ")
			continue
		}
		cur.WriteString(trimmed)
		flush()
	}
	flush()
	return stages
}

// envOf reads ENV k=v pairs (the k=v form only).
func envOf(s *stage) map[string]string {
	out := map[string]string{}
	for _, args := range s.all("ENV") {
		for _, kv := range strings.Fields(args) {
			if k, v, ok := strings.Cut(kv, "="); ok {
				out[k] = strings.Trim(v, `"`)
			}
		}
	}
	return out
}

// goBuilds returns the `go build` commands of the build stage's RUNs.
func goBuilds(s *stage) []string {
	var out []string
	for _, run := range s.all("RUN") {
		for _, part := range strings.Split(run, "&&") {
			if strings.Contains(part, "go build") {
				out = append(out, strings.TrimSpace(regexp.MustCompile(`--mount=\S+`).ReplaceAllString(part, "")))
			}
		}
	}
	return out
}

func TestDockerfileBuildsAStaticBinaryForANonRootUser(t *testing.T) {
	stages := parseDockerfile(t, "Dockerfile")
	if len(stages) < 2 {
		t.Fatalf("%d stages, want a build stage and a final one", len(stages))
	}
	build, final := stages[0], stages[len(stages)-1]
	if build.From != "golang:1.26" || build.Name == "" {
		t.Errorf("build stage FROM %s AS %q, want golang:1.26 AS <name>", build.From, build.Name)
	}
	builds := goBuilds(build)
	if len(builds) != 2 {
		t.Fatalf("go builds %q, want the server and the health probe", builds)
	}
	for _, b := range builds {
		if !strings.Contains(b, "CGO_ENABLED=0") || !strings.Contains(b, "-trimpath") {
			t.Errorf("%q: want CGO_ENABLED=0 and -trimpath", b)
		}
	}

	// The final image is small and runs as a non-root user.
	distroless := strings.HasPrefix(final.From, "gcr.io/distroless/static") && strings.HasSuffix(final.From, ":nonroot")
	alpine := strings.HasPrefix(final.From, "alpine:")
	if !distroless && !alpine {
		t.Errorf("final image %s: want distroless static nonroot or alpine", final.From)
	}
	user := final.last("USER")
	uid, _, _ := strings.Cut(user, ":")
	if user == "" || uid == "0" || uid == "root" {
		t.Errorf("final USER %q: the server must not run as root", user)
	}
	for _, c := range final.all("COPY") {
		if strings.Contains(c, "secrets") || strings.Contains(c, ".key") {
			t.Errorf("COPY %s: keys never go into the image; they are mounted", c)
		}
	}
	env := envOf(final)
	if !strings.HasPrefix(env["GATEHOUSE_DB_DSN"], "/var/lib/gatehouse/") {
		t.Errorf("GATEHOUSE_DB_DSN %q: want the database under /var/lib/gatehouse", env["GATEHOUSE_DB_DSN"])
	}
	if !strings.HasPrefix(env["GATEHOUSE_KEY_DIR"], "/run/secrets/") {
		t.Errorf("GATEHOUSE_KEY_DIR %q: want a mounted secret directory", env["GATEHOUSE_KEY_DIR"])
	}
	if v := final.last("VOLUME"); !strings.Contains(v, "/var/lib/gatehouse") {
		t.Errorf("VOLUME %q: want /var/lib/gatehouse", v)
	}
	// The data directory belongs to the server's user, or SQLite cannot write.
	owned := false
	for _, c := range final.all("COPY") {
		if strings.Contains(c, "--chown="+user) && strings.HasSuffix(c, " /var/lib/gatehouse") {
			owned = true
		}
	}
	if !owned {
		t.Errorf("no COPY --chown=%s ... /var/lib/gatehouse: the data directory must belong to USER", user)
	}
	if e := final.last("EXPOSE"); e != "8080" {
		t.Errorf("EXPOSE %q, want 8080", e)
	}
	hc := final.last("HEALTHCHECK")
	if !strings.Contains(hc, "CMD") || !strings.Contains(hc, "/usr/local/bin/healthcheck") {
		t.Errorf("HEALTHCHECK %q: want CMD [\"/usr/local/bin/healthcheck\"]", hc)
	}
	if ep, cmd := final.last("ENTRYPOINT"), final.last("CMD"); ep != `["/usr/local/bin/gatehouse"]` || cmd != `["serve"]` {
		t.Errorf("ENTRYPOINT %s CMD %s, want gatehouse serve", ep, cmd)
	}

	// The build context leaves out the benchmark data, secrets and git.
	ignore, err := os.ReadFile("Dockerfile.dockerignore")
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"bench/work", "docker/secrets", "docker/.env", ".git", "data"} {
		if !strings.Contains("\n"+string(ignore), "\n"+p+"\n") {
			t.Errorf("Dockerfile.dockerignore does not leave out %s", p)
		}
	}
}

// composeFile is the part of compose.yml the checks read.
type composeFile struct {
	Services map[string]composeService `yaml:"services"`
	Secrets  map[string]struct {
		File string `yaml:"file"`
	} `yaml:"secrets"`
	Volumes map[string]any `yaml:"volumes"`
}

type composeService struct {
	Image string `yaml:"image"`
	Build struct {
		Context    string `yaml:"context"`
		Dockerfile string `yaml:"dockerfile"`
	} `yaml:"build"`
	Environment map[string]string `yaml:"environment"`
	DependsOn   map[string]struct {
		Condition string `yaml:"condition"`
	} `yaml:"depends_on"`
	Secrets []struct {
		Source string `yaml:"source"`
		Target string `yaml:"target"`
	} `yaml:"secrets"`
	Volumes     []string `yaml:"volumes"`
	Ports       []string `yaml:"ports"`
	ReadOnly    bool     `yaml:"read_only"`
	Healthcheck struct {
		Test []string `yaml:"test"`
	} `yaml:"healthcheck"`
	StopGracePeriod string `yaml:"stop_grace_period"`
}

var interpolation = regexp.MustCompile(`\$\{([A-Z_]+)(?::?[-?][^}]*)?\}`)

// interpolate replaces ${VAR...} as compose would, with vars.
func interpolate(s string, vars map[string]string) string {
	return interpolation.ReplaceAllStringFunc(s, func(m string) string {
		return vars[interpolation.FindStringSubmatch(m)[1]]
	})
}

func TestComposeRunsGatehouseOnMySQLWithKeysAsSecrets(t *testing.T) {
	b, err := os.ReadFile("compose.yml")
	if err != nil {
		t.Fatal(err)
	}
	var c composeFile
	if err := yaml.Unmarshal(b, &c); err != nil {
		t.Fatalf("compose.yml: %v", err)
	}
	db, ok1 := c.Services["mysql"]
	gh, ok2 := c.Services["gatehouse"]
	if !ok1 || !ok2 {
		t.Fatalf("services %v: want mysql and gatehouse", c.Services)
	}

	// MySQL 8 with a health check and its data on a named volume.
	if !strings.HasPrefix(db.Image, "mysql:8") {
		t.Errorf("mysql image %q, want mysql:8", db.Image)
	}
	if len(db.Healthcheck.Test) < 2 || !strings.Contains(strings.Join(db.Healthcheck.Test, " "), "mysqladmin ping") {
		t.Errorf("mysql healthcheck %q", db.Healthcheck.Test)
	}
	named := false
	for _, v := range db.Volumes {
		src, dst, _ := strings.Cut(v, ":")
		if _, declared := c.Volumes[src]; declared && dst == "/var/lib/mysql" {
			named = true
		}
	}
	if !named {
		t.Errorf("mysql volumes %q: want a named volume (declared under volumes:) at /var/lib/mysql", db.Volumes)
	}

	// Gatehouse, built from this Dockerfile, starts once MySQL is healthy.
	if gh.Build.Context != ".." || gh.Build.Dockerfile != "docker/Dockerfile" {
		t.Errorf("gatehouse build %+v, want context .. and docker/Dockerfile", gh.Build)
	}
	if gh.DependsOn["mysql"].Condition != "service_healthy" {
		t.Errorf("gatehouse depends_on %+v, want mysql: condition: service_healthy", gh.DependsOn)
	}
	env := gh.Environment
	if env["GATEHOUSE_DB_DRIVER"] != "mysql" {
		t.Errorf("GATEHOUSE_DB_DRIVER %q", env["GATEHOUSE_DB_DRIVER"])
	}
	vars := map[string]string{"GATEHOUSE_DB_PASSWORD": "s3cret", "GATEHOUSE_TZ": "Asia/Shanghai"}
	dsn := interpolate(env["GATEHOUSE_DB_DSN"], vars)
	if err := config.CheckMySQLDSN(dsn); err != nil {
		t.Fatalf("GATEHOUSE_DB_DSN: %v", err)
	}
	mc, _ := mysql.ParseDSN(dsn)
	if mc.Addr != "mysql:3306" || mc.DBName != db.Environment["MYSQL_DATABASE"] || mc.User != db.Environment["MYSQL_USER"] ||
		mc.Passwd != interpolate(db.Environment["MYSQL_PASSWORD"], vars) {
		t.Errorf("the DSN (%s@%s/%s) does not reach the database compose makes (%s@mysql:3306/%s with MYSQL_PASSWORD)",
			mc.User, mc.Addr, mc.DBName, db.Environment["MYSQL_USER"], db.Environment["MYSQL_DATABASE"])
	}

	// The keys are secrets, files mounted into GATEHOUSE_KEY_DIR, never in git.
	dir := env["GATEHOUSE_KEY_DIR"]
	if dir == "" {
		t.Fatal("GATEHOUSE_KEY_DIR is not set")
	}
	mounted := map[string]bool{}
	for _, s := range gh.Secrets {
		src, ok := c.Secrets[s.Source]
		if !ok || src.File == "" {
			t.Errorf("secret %q is not declared with file: at the top level", s.Source)
			continue
		}
		if !strings.HasPrefix(src.File, "./secrets/") {
			t.Errorf("secret %q: file %q, want under ./secrets/ (ignored by git)", s.Source, src.File)
		}
		if path.Dir(s.Target) == dir {
			mounted[path.Base(s.Target)] = true
		}
	}
	for _, f := range []string{keys.DataKeyFile, keys.LookupKeyFile} {
		if !mounted[f] {
			t.Errorf("no secret mounted at %s/%s", dir, f)
		}
	}
	if gi, _ := os.ReadFile(".gitignore"); !strings.Contains(string(gi), "/secrets/") || !strings.Contains(string(gi), "/.env") {
		t.Error("docker/.gitignore must keep secrets/ and .env out of git")
	}

	// Its own health check asks /readyz at the port it publishes, with the
	// probe the image carries; stopping leaves the shutdown grace to finish.
	hc := strings.Join(gh.Healthcheck.Test, " ")
	if !strings.Contains(hc, "/usr/local/bin/healthcheck") || !strings.Contains(hc, "127.0.0.1:8080/readyz") {
		t.Errorf("gatehouse healthcheck %q, want the probe on http://127.0.0.1:8080/readyz", hc)
	}
	if !slices.Contains(gh.Ports, "8080:8080") {
		t.Errorf("gatehouse ports %q, want 8080:8080", gh.Ports)
	}
	if d, err := time.ParseDuration(gh.StopGracePeriod); err != nil || d <= config.Default().ShutdownGrace {
		t.Errorf("stop_grace_period %q: want longer than the server's shutdown grace (%s)", gh.StopGracePeriod, config.Default().ShutdownGrace)
	}
}

// TestTheImagesBuildServesFromItsEmbeddedFiles runs the Dockerfile's own
// go build lines here, then checks what the image would hold: static
// binaries, and a server that migrates, serves its UI and passes the probe
// with nothing but a key directory and an empty data directory.
func TestTheImagesBuildServesFromItsEmbeddedFiles(t *testing.T) {
	if testing.Short() {
		t.Skip("builds two binaries")
	}
	stages := parseDockerfile(t, "Dockerfile")
	out := t.TempDir()
	for _, b := range goBuilds(stages[0]) {
		cmd := exec.Command("sh", "-c", strings.ReplaceAll(b, "/out/", out+"/"))
		cmd.Dir = ".."
		cmd.Env = append(os.Environ(), "GOFLAGS=-buildvcs=false")
		if o, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("%s: %v\n%s", b, err, o)
		}
	}
	for _, name := range []string{"gatehouse", "healthcheck"} {
		f, err := elf.Open(filepath.Join(out, name))
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range f.Progs {
			if p.Type == elf.PT_INTERP {
				t.Errorf("%s has a dynamic loader: not a static binary", name)
			}
		}
		if libs, _ := f.ImportedLibraries(); len(libs) > 0 {
			t.Errorf("%s needs %v: not a static binary", name, libs)
		}
		f.Close()
	}

	// A key directory as the README makes it: two files of 64 hex digits.
	work := t.TempDir()
	keyDir := filepath.Join(work, "keys")
	if err := os.Mkdir(keyDir, 0o700); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{keys.DataKeyFile, keys.LookupKeyFile} {
		k := make([]byte, 32)
		rand.Read(k)
		if err := os.WriteFile(filepath.Join(keyDir, name), []byte(hex.EncodeToString(k)+"\n"), 0o400); err != nil {
			t.Fatal(err)
		}
	}
	data := filepath.Join(work, "data")
	if err := os.Mkdir(data, 0o700); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	srv := exec.CommandContext(ctx, filepath.Join(out, "gatehouse"), "serve")
	srv.Dir = data // nothing of the repository is reachable from here
	srv.Env = []string{"GATEHOUSE_ADDR=127.0.0.1:0", "GATEHOUSE_DB_DSN=" + filepath.Join(data, "gatehouse.db"),
		"GATEHOUSE_KEY_DIR=" + keyDir, "GATEHOUSE_ADMIN_PASSWORD=admin-password-1", "GATEHOUSE_TZ=Asia/Shanghai"}
	stderr, err := srv.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	addr := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			var l struct{ Msg, Addr string }
			if json.Unmarshal(sc.Bytes(), &l) == nil && l.Msg == "listening" {
				addr <- l.Addr
			}
		}
		exited <- srv.Wait()
	}()
	var url string
	select {
	case a := <-addr:
		url = "http://" + a
	case err := <-exited:
		t.Fatalf("the server stopped before listening: %v", err)
	case <-ctx.Done():
		t.Fatal("the server did not listen")
	}
	defer func() {
		srv.Process.Signal(syscall.SIGTERM)
		if err := <-exited; err != nil {
			t.Errorf("after SIGTERM: %v", err)
		}
	}()

	probe := exec.Command(filepath.Join(out, "healthcheck"), url+"/readyz")
	if o, err := probe.CombinedOutput(); err != nil {
		t.Fatalf("the probe on %s/readyz: %v %s", url, err, o)
	}
	probe = exec.Command(filepath.Join(out, "healthcheck")) // its URL from GATEHOUSE_ADDR, as in the image
	probe.Env = []string{"GATEHOUSE_ADDR=" + strings.TrimPrefix(url, "http://")}
	if o, err := probe.CombinedOutput(); err != nil {
		t.Fatalf("the probe from GATEHOUSE_ADDR: %v %s", err, o)
	}
	res, err := http.Get(url + "/")
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 200 || !strings.Contains(res.Header.Get("Content-Type"), "text/html") || !strings.Contains(strings.ToLower(string(page)), "<html") {
		t.Fatalf("GET /: %d %q: the embedded UI is not served", res.StatusCode, res.Header.Get("Content-Type"))
	}
}

// TestComposeConfigValidates asks docker itself, where an engine runs.
func TestComposeConfigValidates(t *testing.T) {
	if err := exec.Command("docker", "compose", "version").Run(); err != nil {
		t.Skipf("skipping `docker compose config`: `docker compose version` fails here (%v); the checks above still ran", err)
	}
	if err := exec.Command("docker", "info").Run(); err != nil {
		t.Skipf("skipping `docker compose config`: no Docker engine answers `docker info` (%v); the checks above still ran", err)
	}
	cmd := exec.Command("docker", "compose", "-f", "docker/compose.yml", "config", "--quiet")
	cmd.Dir = ".."
	cmd.Env = append(os.Environ(), "GATEHOUSE_DB_PASSWORD=compose-config-check")
	if o, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("docker compose -f docker/compose.yml config: %v\n%s", err, o)
	}
}
