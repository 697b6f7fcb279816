package lpr

import (
	"bytes"
	"encoding/json"
	"mime"
	"mime/multipart"
	"net/url"
	"strconv"
	"strings"
	"time"

	"gatehouse/internal/gatehouse"
)

// Vzenith (臻识) IVS cameras' HTTP push, after the vendor's 车牌识别一体机 HTTP
// 接口协议 V1.9.7 (20250318001): a recognition is POSTed as JSON
// {"AlarmInfoPlate": {serialno, result: {PlateResult: {license, colorType,
// confidence, plateid, isoffline, timeStamp: {Timeval: {sec, usec}}}}}}. The
// reply {"Response_AlarmInfoPlate": {"info": "ok"}} raises the barrier; an
// online record's reply carries its plateid; a record the camera kept while
// offline (isoffline 1, re-sent after reconnecting) is acknowledged with
// ContinuePushOffline {plateid, continue: 1} and opens nothing.
type vzenith struct{}

func init() { register("vzenith", vzenith{}) }

var _ Poller = vzenith{}

type vzPush struct {
	AlarmInfoPlate *struct {
		Serialno string `json:"serialno"`
		Result   struct {
			PlateResult *struct {
				License    string `json:"license"`
				ColorType  int    `json:"colorType"`
				Confidence int    `json:"confidence"`
				PlateID    *int64 `json:"plateid"`
				IsOffline  int    `json:"isoffline"`
				TimeStamp  struct {
					Timeval struct {
						Sec  int64 `json:"sec"`
						Usec int64 `json:"usec"`
					} `json:"Timeval"`
				} `json:"timeStamp"`
			} `json:"PlateResult"`
		} `json:"result"`
	} `json:"AlarmInfoPlate"`
}

// vzColors maps colorType: 0 unknown, 1 blue, 2 yellow, 3 white, 4 black,
// 5 green, 6 yellow-green.
var vzColors = map[int]gatehouse.PlateColor{1: gatehouse.PlateBlue, 2: gatehouse.PlateYellow, 3: gatehouse.PlateWhite,
	4: gatehouse.PlateBlack, 5: gatehouse.PlateGreen, 6: gatehouse.PlateYellowGreen}

func (vzenith) Read(body []byte) (gatehouse.PlateRead, error) {
	var p vzPush
	if err := json.NewDecoder(bytes.NewReader(body)).Decode(&p); err != nil {
		return gatehouse.PlateRead{}, gatehouse.FieldError("AlarmInfoPlate", "is not the camera's JSON push")
	}
	a := p.AlarmInfoPlate
	if a == nil {
		return gatehouse.PlateRead{}, gatehouse.FieldError("AlarmInfoPlate", "is required")
	}
	pr := a.Result.PlateResult
	if pr == nil {
		return gatehouse.PlateRead{}, gatehouse.FieldError("AlarmInfoPlate.result.PlateResult", "is required")
	}
	tv := pr.TimeStamp.Timeval
	read := gatehouse.PlateRead{Serial: strings.TrimSpace(a.Serialno), Plate: vzPlate(pr.License), Color: vzColors[pr.ColorType],
		Confidence: min(max(pr.Confidence, 0), 100), Offline: pr.IsOffline == 1}
	if tv.Sec > 0 {
		read.OccurredAt = time.Unix(tv.Sec, min(max(tv.Usec, 0), 999999)*1000).UTC()
	}
	// A retry (no answer came) is the same record: the same plateid and
	// frame time. Firmware without plateid: the frame time alone.
	switch {
	case pr.PlateID != nil:
		read.EventID = "vz:" + strconv.FormatInt(*pr.PlateID, 10) + ":" + strconv.FormatInt(tv.Sec, 10)
	case tv.Sec > 0:
		read.EventID = "vz:t" + strconv.FormatInt(tv.Sec, 10) + "." + strconv.FormatInt(tv.Usec, 10)
	}
	return read, nil
}

// vzPlate is the plate of a license field: "_无_" when none was seen; a
// plate of three regions ("粤ZJ068澳|MX7742|ZM127") is read by its mainland part.
func vzPlate(license string) string {
	license, _, _ = strings.Cut(license, "|")
	if strings.Contains(license, "无") {
		return ""
	}
	return gatehouse.NormalizePlate(license)
}

type vzAnswer struct {
	Response struct {
		Info    string `json:"info,omitempty"`
		PlateID *int64 `json:"plateid,omitempty"`
		Offline *struct {
			PlateID  int64 `json:"plateid"`
			Continue int   `json:"continue"`
		} `json:"ContinuePushOffline,omitempty"`
	} `json:"Response_AlarmInfoPlate"`
}

func (vzenith) Answer(read gatehouse.PlateRead, open bool) (string, []byte) {
	var a vzAnswer
	id, hasID := vzPlateID(read.EventID)
	switch {
	case read.Offline:
		a.Response.Offline = &struct {
			PlateID  int64 `json:"plateid"`
			Continue int   `json:"continue"`
		}{PlateID: id, Continue: 1}
	case open:
		a.Response.Info = "ok"
	default:
		a.Response.Info = "no"
	}
	if hasID && !read.Offline {
		a.Response.PlateID = &id
	}
	b, _ := json.Marshal(a)
	return "application/json; charset=utf-8", b
}

// vzPlateID is the camera's plateid within an event id made by Read.
func vzPlateID(eventID string) (int64, bool) {
	rest, ok := strings.CutPrefix(eventID, "vz:")
	if !ok || strings.HasPrefix(rest, "t") {
		return 0, false
	}
	n, err := strconv.ParseInt(strings.SplitN(rest, ":", 2)[0], 10, 64)
	return n, err == nil
}

// Poll recognises the camera's heartbeat (设备注册, comet 轮询): a form
// (multipart/form-data, or urlencoded) whose serialno field names the
// camera. Its other fields (the camera's own web log-in among them) are
// neither kept nor logged.
func (vzenith) Poll(body []byte, contentType string) (string, bool) {
	mt, params, err := mime.ParseMediaType(contentType)
	if err != nil {
		return "", false
	}
	switch mt {
	case "multipart/form-data":
		r := multipart.NewReader(bytes.NewReader(body), params["boundary"])
		form, err := r.ReadForm(64 << 10)
		if err != nil {
			return "", false
		}
		defer form.RemoveAll()
		if v := form.Value["serialno"]; len(v) > 0 {
			return strings.TrimSpace(v[0]), true
		}
	case "application/x-www-form-urlencoded":
		v, err := url.ParseQuery(string(body))
		if err == nil && v.Get("serialno") != "" {
			return strings.TrimSpace(v.Get("serialno")), true
		}
	}
	return "", false
}

// PollAnswer asks for a manual recognition (手动触发识别, manualTrigger
// "ok") or answers with nothing to do.
func (vzenith) PollAnswer(readAgain bool) (string, []byte) {
	if readAgain {
		return "application/json; charset=utf-8", []byte(`{"Response_AlarmInfoPlate":{"manualTrigger":"ok"}}`)
	}
	return "application/json; charset=utf-8", []byte(`{"Response_AlarmInfoPlate":{}}`)
}
