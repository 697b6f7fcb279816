package main

import (
	"log/slog"

	"gatehouse/internal/config"
	"gatehouse/internal/service"
	"gatehouse/internal/sms"
)

// smsSender is the sender of residents' sign-in codes the settings name.
func smsSender(cfg config.Config, log *slog.Logger) (service.SMSSender, error) {
	if cfg.SMSProvider != "tencent" {
		log.Warn("sms: GATEHOUSE_SMS_PROVIDER=log: sign-in codes go to this log, not to phones (development only)")
		return sms.Log{Logger: log}, nil
	}
	t, err := sms.NewTencent(sms.TencentConfig{SecretID: cfg.SMSSecretID, SecretKey: cfg.SMSSecretKey, AppID: cfg.SMSAppID,
		Sign: cfg.SMSSign, TemplateID: cfg.SMSTemplateID, Region: cfg.SMSRegion})
	if err != nil {
		return nil, &config.Error{Setting: "GATEHOUSE_SMS_PROVIDER", Problem: oneLine(err.Error())}
	}
	return t, nil
}
