package service_test

import (
	"context"
	"strings"
	"testing"

	"golang.org/x/text/encoding/simplifiedchinese"

	"gatehouse/internal/gatehouse"
	"gatehouse/internal/service"
	"gatehouse/internal/store"
	"gatehouse/internal/store/storetest"
)

func csvFile(lines ...string) service.ImportFile {
	return service.ImportFile{Name: "residents.csv", Body: []byte(strings.Join(lines, "\r\n") + "\r\n")}
}

// residentCount is how many residents, present or gone, community c holds.
func (f *fixture) residentCount(t *testing.T, c int64) int {
	t.Helper()
	rs, _, err := f.db.Residents(context.Background(), gatehouse.ResidentFilter{CommunityIDs: []int64{c}, IncludeMovedOut: true}, gatehouse.Page{Limit: gatehouse.MaxPageLimit})
	if err != nil {
		t.Fatal(err)
	}
	return len(rs)
}

// An import stores every resident of the file or none, and names each bad
// line with its field, line 1 being the header.
func TestAnImportIsAllOrNothingWithItsLinesAtFault(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		const header = "name,id_type,id_number,phone,building,unit,room"
		ok1 := "林新,resident_id,11010519491231002X,13800138000,5,1,101"
		ok2 := "林旧,护照,E12345678,13800138001,5,1,102"
		cases := []struct {
			what   string
			file   service.ImportFile
			code   string
			fields []string
		}{
			{"a bad number and a bad phone", csvFile(header, ok1, "张三,,110105194912310021,13800138002,5,1,103", ok2, "李四,,440524188001010014,12,5,1,104"),
				gatehouse.EINVALID, []string{"line 3: id_number", "line 5: phone"}},
			{"the same number twice", csvFile(header, ok1, ok2, "林新二,居民身份证,11010519491231002x,13800138003,5,1,105"),
				gatehouse.EINVALID, []string{"line 4: id_number"}},
			{"an unknown document", csvFile(header, "张三,驾照,E12345678,13800138000,5,1,101"), gatehouse.EINVALID, []string{"line 2: id_type"}},
			{"a missing cell", csvFile(header, "张三,,11010519491231002X,13800138000,5,1"), gatehouse.EINVALID, []string{"line 2: room"}},
			{"an unknown column and a missing one", csvFile("name,id_type,id_number,mobile,building,unit,room", ok1),
				gatehouse.EINVALID, []string{"line 1: mobile", "line 1: phone"}},
			{"a broken quote", csvFile(header, ok1, `"张三,,11010519491231002X,13800138000,5,1,101`), gatehouse.EINVALID, []string{"line 3"}},
			{"a bare quote between bad lines", csvFile(header, "张三,,110105194912310021,13800138002,5,1,103", `李"四,,11010519491231002X,13800138000,5,1,101`, "王五,,440524188001010014,12,5,1,104"),
				gatehouse.EINVALID, []string{"line 2: id_number", "line 3", "line 4: phone"}},
			{"a header only", csvFile(header, ",,,,,,"), gatehouse.EINVALID, []string{"line 2"}},
			{"an empty file", service.ImportFile{Body: []byte("\xef\xbb\xbf \r\n")}, gatehouse.EBADREQUEST, nil},
			{"a workbook of 2003", service.ImportFile{Name: "住户.XLS", Body: []byte("name\n")}, gatehouse.EINVALID, []string{"file"}},
			{"named a workbook but text", service.ImportFile{Name: "residents.xlsx", Body: []byte(header + "\n" + ok1)}, gatehouse.EINVALID, []string{"file"}},
			{"a broken workbook", service.ImportFile{Body: []byte("PK\x03\x04 not really")}, gatehouse.EINVALID, []string{"file"}},
			{"one already living there", csvFile(header, ok1, "王芳,,440524188001010014,13800138000,3,2,502"),
				gatehouse.ECONFLICT, []string{"line 3: name"}},
		}
		for _, tc := range cases {
			n, err := f.residents.Import(ctx, f.manager, f.a.ID, tc.file)
			wantProblems(t, tc.what, err, tc.code, tc.fields...)
			if n != 0 {
				t.Errorf("%s: %d imported", tc.what, n)
			}
			if e, ok := err.(*gatehouse.Error); ok && len(tc.fields) > 0 && tc.fields[0] != "file" && !strings.HasPrefix(e.Message, "nothing was imported") {
				t.Errorf("%s: the message %q does not say nothing was imported", tc.what, e.Message)
			}
		}
		if got := f.residentCount(t, f.a.ID); got != 2 {
			t.Errorf("after refused imports community A holds %d residents, want its 2", got)
		}
		// Chinese headers, GBK as Excel writes it, blank rows skipped.
		gbk, err := simplifiedchinese.GBK.NewEncoder().String("姓名,证件类型,证件号码,手机号,楼栋,单元,房号\r\n林新,居民身份证,11010519491231002X,13800138000,5栋,1单元,101\r\n,,,,,,\r\n林旧,护照,E12345678,13800138001,5栋,1单元,102\r\n")
		if err != nil {
			t.Fatal(err)
		}
		n, err := f.residents.Import(ctx, f.manager, f.a.ID, service.ImportFile{Name: "住户.csv", Body: []byte(gbk)})
		if err != nil || n != 2 {
			t.Fatalf("a GBK file: %d, %v", n, err)
		}
		rs, _, err := db.Residents(ctx, gatehouse.ResidentFilter{CommunityIDs: []int64{f.a.ID}, Query: "林旧"}, gatehouse.Page{Limit: 5})
		if err != nil || len(rs) != 1 || rs[0].IDType != gatehouse.IDPassport || rs[0].Building != "5栋" {
			t.Errorf("the imported 林旧: %+v, %v", rs, err)
		}
	})
}

func TestAnImportNeedsAManagerOfTheCommunity(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		file := csvFile("name,id_number,phone,building,unit,room", "林新,11010519491231002X,13800138000,5,1,101")
		_, err := f.residents.Import(ctx, f.manager, 0, file)
		wantProblems(t, "no community", err, gatehouse.EBADREQUEST, "community_id")
		_, err = f.residents.Import(ctx, f.manager, f.b.ID, file)
		wantCode(t, "another company's community", err, gatehouse.ENOTFOUND)
		_, err = f.residents.Import(ctx, f.guard, f.a.ID, file)
		wantCode(t, "a guard", err, gatehouse.EFORBIDDEN)
		if n, err := f.residents.Import(ctx, f.admin, f.b.ID, file); err != nil || n != 1 {
			t.Errorf("admin into B: %d, %v", n, err)
		}
	})
}

// The template a manager downloads imports as it is: its one example row.
func TestTheImportTemplateImportsItsExample(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		for i, format := range []string{"csv", "xlsx"} {
			tpl, err := f.residents.ImportTemplate(f.manager, format)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.HasSuffix(tpl.Name, "."+format) {
				t.Errorf("%s template named %s", format, tpl.Name)
			}
			n, err := f.residents.Import(ctx, f.admin, []int64{f.a.ID, f.b.ID}[i], *tpl)
			if err != nil || n != 1 {
				t.Errorf("the %s template imported: %d, %v", format, n, err)
			}
		}
		_, err := f.residents.ImportTemplate(f.manager, "ods")
		wantProblems(t, "an ods template", err, gatehouse.EBADREQUEST, "format")
		_, err = f.residents.ImportTemplate(f.guard, "csv")
		wantCode(t, "a guard's template", err, gatehouse.EFORBIDDEN)
	})
}

// A file that mixes UTF-8 and GBK, or is neither, is refused naming the
// first line and column not read as the rest: nothing is imported mis-read.
func TestAMixedEncodingIsRefusedAtItsLineAndColumn(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		gbk := func(s string) string {
			out, err := simplifiedchinese.GBK.NewEncoder().String(s)
			if err != nil {
				t.Fatal(err)
			}
			return out
		}
		header := "name,id_number,phone,building,unit,room\n"
		cases := []struct {
			what, body, field string
		}{
			{"UTF-8 then GBK", header + "林新,11010519491231002X,13800138000,5栋,1,101\n" + "林旧,E12345678,13800138001," + gbk("5栋") + ",1,102\n", "line 3: building"},
			{"GBK then UTF-8", header + gbk("林新") + ",11010519491231002X,13800138000,5,1,101\n" + "林旧,E12345678,13800138001,5,1,102\n", "line 3: name"},
			{"neither", header + "X,11010519491231002X,13800138000,5,1,\"1\n01\"," + "\x81\x20\n", "line 3: column 7"},
			{"a broken header", "name," + gbk("证件") + "\xff,phone\n", "line 1: column 2"},
		}
		for _, tc := range cases {
			_, err := f.residents.Import(ctx, f.manager, f.a.ID, service.ImportFile{Name: "x.csv", Body: []byte(tc.body)})
			wantProblems(t, tc.what, err, gatehouse.EINVALID, tc.field)
		}
		if got := f.residentCount(t, f.a.ID); got != 2 {
			t.Errorf("community A holds %d residents after refused imports, want its 2", got)
		}
	})
}
