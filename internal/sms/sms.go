// Package sms delivers sign-in codes by text message: to the server's log
// (development) or through Tencent Cloud SMS, with its official SDK.
package sms

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common"
	tcerr "github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common/errors"
	"github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common/profile"
	tcsms "github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/sms/v20210111"
)

// Sender delivers a one-time code to a mainland mobile number (11 digits),
// valid for the given time.
type Sender interface {
	Send(ctx context.Context, phone, code string, valid time.Duration) error
}

// Log writes codes to the server's log instead of sending them: for
// development and tests, never for real residents.
type Log struct{ Logger *slog.Logger }

// Send logs the code with the phone masked.
func (l Log) Send(_ context.Context, phone, code string, valid time.Duration) error {
	l.Logger.Warn("sms code (log sender: nothing was sent)", "phone", Mask(phone), "code", code, "valid", valid.String())
	return nil
}

// Mask shows a phone number's first 3 and last 4 digits, as Chinese
// services do: 138****8000.
func Mask(phone string) string {
	if len(phone) < 8 {
		return strings.Repeat("*", len(phone))
	}
	return phone[:3] + strings.Repeat("*", len(phone)-7) + phone[len(phone)-4:]
}

// TencentConfig is a Tencent Cloud SMS account and what a message uses.
type TencentConfig struct {
	SecretID, SecretKey string
	AppID               string // SmsSdkAppId
	Sign                string // the approved signature name
	TemplateID          string // an approved template with {1} the code and {2} the minutes it is valid
	Region              string // e.g. ap-guangzhou
	// Endpoint and Scheme replace the SDK's (sms.tencentcloudapi.com over
	// HTTPS); tests point them at a local stand-in.
	Endpoint, Scheme string
	Timeout          time.Duration
}

// Tencent sends codes through Tencent Cloud SMS (API 2021-01-11).
type Tencent struct {
	client *tcsms.Client
	cfg    TencentConfig
}

// NewTencent makes a sender for an account.
func NewTencent(cfg TencentConfig) (*Tencent, error) {
	cred := common.NewCredential(cfg.SecretID, cfg.SecretKey)
	cp := profile.NewClientProfile()
	cp.HttpProfile.ReqMethod = "POST"
	cp.HttpProfile.ReqTimeout = 10
	if cfg.Timeout > 0 {
		cp.HttpProfile.ReqTimeout = max(1, int(cfg.Timeout.Seconds()))
	}
	if cfg.Endpoint != "" {
		cp.HttpProfile.Endpoint = cfg.Endpoint
	}
	if cfg.Scheme != "" {
		cp.HttpProfile.Scheme = cfg.Scheme
	}
	c, err := tcsms.NewClient(cred, cfg.Region, cp)
	if err != nil {
		return nil, err
	}
	return &Tencent{client: c, cfg: cfg}, nil
}

// Send sends the code in one message; a refusal by the API (a bad key, an
// unapproved template, a limit of Tencent's) is an error naming its code.
func (t *Tencent) Send(ctx context.Context, phone, code string, valid time.Duration) error {
	req := tcsms.NewSendSmsRequest()
	req.SmsSdkAppId = common.StringPtr(t.cfg.AppID)
	req.SignName = common.StringPtr(t.cfg.Sign)
	req.TemplateId = common.StringPtr(t.cfg.TemplateID)
	req.TemplateParamSet = common.StringPtrs([]string{code, strconv.Itoa(int(valid.Minutes()))})
	req.PhoneNumberSet = common.StringPtrs([]string{"+86" + phone})
	res, err := t.client.SendSmsWithContext(ctx, req)
	var sdkErr *tcerr.TencentCloudSDKError
	if errors.As(err, &sdkErr) {
		return fmt.Errorf("tencent sms: %s: %s (request %s)", sdkErr.Code, sdkErr.Message, sdkErr.RequestId)
	} else if err != nil {
		return fmt.Errorf("tencent sms: %w", err)
	}
	if res.Response == nil || len(res.Response.SendStatusSet) == 0 || res.Response.SendStatusSet[0].Code == nil {
		return errors.New("tencent sms: the answer has no send status")
	}
	if st := res.Response.SendStatusSet[0]; *st.Code != "Ok" {
		msg := ""
		if st.Message != nil {
			msg = *st.Message
		}
		return fmt.Errorf("tencent sms: %s: %s", *st.Code, msg)
	}
	return nil
}
