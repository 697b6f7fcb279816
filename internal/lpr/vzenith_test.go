package lpr_test

import (
	"encoding/json"
	"testing"
	"time"

	"gatehouse/internal/gatehouse"
	"gatehouse/internal/lpr"
)

func TestVzenithReadsThePushAndAnswersInItsProtocol(t *testing.T) {
	vz, ok := lpr.Lookup("vzenith")
	if !ok || !lpr.Known("vzenith") || lpr.Known("acme") {
		t.Fatal("vzenith is not registered")
	}
	body := `{"AlarmInfoPlate":{"channel":0,"deviceName":"IVS","ipaddr":"192.168.1.100","serialno":"eff50e18-e3d3862b",
		"result":{"PlateResult":{"license":"粤Z9065澳|MX7742|ZM127","colorType":4,"confidence":96,"direction":0,"plateid":123,"isoffline":1,
		"timeStamp":{"Timeval":{"sec":1686299994,"usec":687772}},"triggerType":4,"type":14}}}}`
	r, err := vz.Read([]byte(body))
	if err != nil {
		t.Fatal(err)
	}
	want := gatehouse.PlateRead{Serial: "eff50e18-e3d3862b", Plate: "粤Z9065澳", Color: gatehouse.PlateBlack, Confidence: 96,
		EventID: "vz:123:1686299994", OccurredAt: time.Unix(1686299994, 687772000).UTC(), Offline: true}
	if r != want {
		t.Fatalf("read %+v, want %+v", r, want)
	}
	_, b := vz.Answer(r, true)
	if string(b) != `{"Response_AlarmInfoPlate":{"ContinuePushOffline":{"plateid":123,"continue":1}}}` {
		t.Fatalf("offline answer %s", b)
	}
	r.Offline = false
	if _, b = vz.Answer(r, true); string(b) != `{"Response_AlarmInfoPlate":{"info":"ok","plateid":123}}` {
		t.Fatalf("open answer %s", b)
	}
	if _, b = vz.Answer(r, false); string(b) != `{"Response_AlarmInfoPlate":{"info":"no","plateid":123}}` {
		t.Fatalf("closed answer %s", b)
	}
	// Old firmware: no plateid, the frame time names the read; no plate seen.
	r, err = vz.Read([]byte(`{"AlarmInfoPlate":{"serialno":"e10b2d6c8c07b422361457935b518642","result":{"PlateResult":{"license":"_无_",
		"timeStamp":{"Timeval":{"sec":1441815171,"usec":672241}}}}}}`))
	if err != nil || r.Plate != "" || r.EventID != "vz:t1441815171.672241" {
		t.Fatalf("old firmware: %+v %v", r, err)
	}
	if _, b = vz.Answer(r, false); !json.Valid(b) || string(b) != `{"Response_AlarmInfoPlate":{"info":"no"}}` {
		t.Fatalf("answer without plateid %s", b)
	}
	for _, bad := range []string{`not json`, `{}`, `{"AlarmInfoPlate":{"serialno":"x","result":{}}}`} {
		if _, err := vz.Read([]byte(bad)); gatehouse.ErrorCode(err) != gatehouse.EINVALID {
			t.Errorf("%s: %v", bad, err)
		}
	}
}

func TestVzenithTellsAHeartbeatFromAPush(t *testing.T) {
	vz, _ := lpr.Lookup("vzenith")
	p, ok := vz.(lpr.Poller)
	if !ok {
		t.Fatal("vzenith does not take polls")
	}
	form := "--XyZ\r\nContent-Disposition: form-data; name=\"device_name\"\r\n\r\nIVS\r\n" +
		"--XyZ\r\nContent-Disposition: form-data; name=\"serialno\"\r\n\r\nd85b1269-8f942256\r\n--XyZ--\r\n"
	if s, ok := p.Poll([]byte(form), "multipart/form-data; boundary=XyZ"); !ok || s != "d85b1269-8f942256" {
		t.Errorf("multipart heartbeat: %q %v", s, ok)
	}
	if s, ok := p.Poll([]byte("serialno=d85b1269-8f942256&port=80"), "application/x-www-form-urlencoded"); !ok || s != "d85b1269-8f942256" {
		t.Errorf("form heartbeat: %q %v", s, ok)
	}
	for _, c := range []struct{ body, ct string }{
		{`{"AlarmInfoPlate":{"serialno":"x"}}`, "application/json"},
		{`{"AlarmInfoPlate":{"serialno":"x"}}`, ""},
		{"port=80", "application/x-www-form-urlencoded"},
		{"not a form", "multipart/form-data; boundary=XyZ"},
	} {
		if _, ok := p.Poll([]byte(c.body), c.ct); ok {
			t.Errorf("%q (%s) taken for a heartbeat", c.body, c.ct)
		}
	}
	if _, b := p.PollAnswer(true); string(b) != `{"Response_AlarmInfoPlate":{"manualTrigger":"ok"}}` {
		t.Errorf("read again: %s", b)
	}
}
