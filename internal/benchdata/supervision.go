package benchdata

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"gatehouse/internal/gatehouse"
	"gatehouse/internal/store"
)

// The district's street offices (罗湖区's ten streets).
var streets = []string{"桂园街道", "黄贝街道", "东门街道", "翠竹街道", "东晓街道", "南湖街道", "笋岗街道", "东湖街道", "莲塘街道", "清水河街道"}

// Syllables of made-up company names (no real firm's).
var companyWords = []rune("华安信达鹏城恒泰嘉和宏远金诚润家")
var companyKinds = []string{"", "城市服务", "智慧", "园区"}

// creditCodeChars is GB 32100's alphabet (no I, O, S, V, Z).
const creditCodeChars = "0123456789ABCDEFGHJKLMNPQRTUWXY"

// companies makes the district's property companies, with unique names
// and unique, valid unified social credit codes.
func (g *Generator) companies() []*gatehouse.Company {
	out := make([]*gatehouse.Company, g.o.Companies)
	names, codes := map[string]bool{}, map[string]bool{}
	for i := range out {
		name := ""
		for name == "" || names[name] {
			name = fmt.Sprintf("深圳市%c%c%s物业管理有限公司", companyWords[g.rnd.IntN(len(companyWords))], companyWords[g.rnd.IntN(len(companyWords))],
				companyKinds[g.rnd.IntN(len(companyKinds))])
			if len(names) >= len(companyWords)*len(companyWords)*len(companyKinds) {
				name = fmt.Sprintf("深圳市第%d物业管理有限公司", i+1)
			}
		}
		names[name] = true
		code := ""
		for code == "" || codes[code] {
			b := []byte("91" + regions[g.rnd.IntN(6)]) // registered in Shenzhen
			for len(b) < 17 {
				b = append(b, creditCodeChars[g.rnd.IntN(len(creditCodeChars))])
			}
			code = string(b) + string(gatehouse.CreditCodeCheckChar(string(b)))
		}
		codes[code] = true
		out[i] = &gatehouse.Company{ID: int64(i + 1), Name: name, CreditCode: code, Contact: fmt.Sprintf("0755-%08d", 20000000+g.rnd.IntN(80000000))}
	}
	return out
}

// companyOf is the company that runs community ci (0-based): every company
// runs at least one, and the larger ones more (as in the district, where a
// few companies run many communities).
func (g *Generator) companyOf(ci int) int64 {
	n := g.o.Companies
	if ci < n {
		return int64(ci + 1)
	}
	u := g.rnd.Float64()
	return int64(1 + int(float64(n)*u*u))
}

// monthsOf lists the local months from start to now, oldest first, each
// with the first and last day the data covers in it.
func monthsOf(start, now time.Time, loc *time.Location) [][2]time.Time {
	var out [][2]time.Time
	first := start.In(loc)
	last := now.In(loc)
	for m := time.Date(first.Year(), first.Month(), 1, 0, 0, 0, 0, loc); !m.After(last); m = m.AddDate(0, 1, 0) {
		a, b := m, m.AddDate(0, 1, -1)
		if a.Before(first) {
			a = time.Date(first.Year(), first.Month(), first.Day(), 0, 0, 0, 0, loc)
		}
		if b.After(last) {
			b = time.Date(last.Year(), last.Month(), last.Day(), 0, 0, 0, 0, loc)
		}
		out = append(out, [2]time.Time{a, b})
	}
	return out
}

// supervise gives a community its company, street and declared dwellings,
// the inspections and incidents of each month of the data, and an agent on
// its first gate with the hours it reported in.
func (g *Generator) supervise(b *batch, ci int, start time.Time) {
	o := g.o
	loc, err := time.LoadLocation(b.c.TimeZone)
	if err != nil {
		loc = time.UTC
	}
	street := streets[g.rnd.IntN(len(streets))]
	dwellings := map[string]bool{}
	for _, r := range b.rs {
		dwellings[r.Building+"/"+r.Unit+"/"+r.Room] = true
	}
	// A company declares about as many dwellings as have residents, up to a
	// quarter more (registry completeness from 80 % to 100 %).
	declared := len(dwellings) + g.rnd.IntN(len(dwellings)/4+1)
	b.asg = &gatehouse.Assignment{CommunityID: b.c.ID, CompanyID: g.companyOf(ci), Street: street, DeclaredDwellings: declared, From: b.c.CreatedAt}
	scheme := gatehouse.DefaultScheme()
	for _, m := range monthsOf(start, o.Now, loc) {
		days := int(m[1].Sub(m[0]).Hours()/24) + 1
		day := func() (string, time.Time) {
			d := m[0].AddDate(0, 0, g.rnd.IntN(days))
			return d.Format("2006-01-02"), d.Add(time.Duration(9+g.rnd.IntN(8)) * time.Hour)
		}
		// Most communities are inspected once a month, some twice, some not.
		for n := []int{0, 1, 1, 1, 1, 1, 1, 1, 2, 2}[g.rnd.IntN(10)]; n > 0; n-- {
			date, at := day()
			in := &gatehouse.Inspection{CommunityID: b.c.ID, Date: date, Inspector: street + "办联合检查组",
				CreatedRole: gatehouse.RoleStreet, CreatedAt: at.UTC()}
			if g.rnd.IntN(3) == 0 {
				in.Inspector, in.CreatedRole = "派出所社区警务队", gatehouse.RolePolice
			}
			for _, it := range scheme.Checklist {
				if g.rnd.IntN(100) < 82 {
					in.ItemsMet = append(in.ItemsMet, it.Key)
				}
			}
			if len(in.ItemsMet) < len(scheme.Checklist) {
				in.Notes = "限期整改未达标项"
			}
			b.ins = append(b.ins, in)
		}
		// Police attribute a few cases a month to a community: disputes
		// often, a burglary (serious) rarely.
		for _, c := range []struct {
			key      string
			perMille int
		}{{"burglary", 8}, {"theft", 30}, {"fraud", 30}, {"dispute", 90}} {
			if g.rnd.IntN(1000) < c.perMille {
				date, at := day()
				b.inc = append(b.inc, &gatehouse.Incident{CommunityID: b.c.ID, Date: date, Category: c.key,
					CaseRef: fmt.Sprintf("LH%s%06d", date[:7], g.rnd.IntN(1_000_000)), CreatedAt: at.UTC()})
			}
		}
	}
	// The first gate has an agent since AgentDays ago (its record made
	// then): it reports in each hour, with now and then an outage of up to
	// 12 hours; a few gates are flaky.
	agent := b.gates[0]
	from := o.Now.Add(-time.Duration(o.AgentDays) * 24 * time.Hour).Truncate(time.Hour)
	if from.Before(b.c.CreatedAt) {
		from = b.c.CreatedAt.Truncate(time.Hour).Add(time.Hour)
	}
	agent.CreatedAt = from
	b.agent = agent
	perDay := []float64{0.02, 0.02, 0.02, 0.02, 0.02, 0.02, 0.02, 0.02, 0.1, 0.4}[g.rnd.IntN(10)]
	down := 0
	for h := from.Unix() / 3600; h < o.Now.Unix()/3600; h++ {
		switch {
		case down > 0:
			down--
		case g.rnd.Float64() < perDay/24:
			down = g.rnd.IntN(12)
		default:
			b.hours = append(b.hours, h)
		}
	}
}

// writeSupervision stores what supervise made of a community.
func writeSupervision(ctx context.Context, bulk *store.Bulk, tx *sql.Tx, b *batch, now time.Time) error {
	if b.asg == nil {
		return nil
	}
	if err := bulk.Assignments(ctx, tx, []*gatehouse.Assignment{b.asg}); err != nil {
		return err
	}
	if err := bulk.Inspections(ctx, tx, b.ins); err != nil {
		return err
	}
	if err := bulk.Incidents(ctx, tx, b.inc); err != nil {
		return err
	}
	return bulk.GateAgent(ctx, tx, b.agent, now, b.hours)
}
