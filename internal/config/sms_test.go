package config_test

import (
	"strings"
	"testing"
)

func TestSMSSettings(t *testing.T) {
	c, err := load(nil)
	if err != nil || c.SMSProvider != "log" || c.SMSRegion != "ap-guangzhou" {
		t.Fatalf("defaults: provider %q region %q %v, want log and ap-guangzhou", c.SMSProvider, c.SMSRegion, err)
	}
	good := map[string]string{"GATEHOUSE_SMS_PROVIDER": "tencent", "GATEHOUSE_SMS_SECRET_ID": "AKIDexample", "GATEHOUSE_SMS_SECRET_KEY": "secret",
		"GATEHOUSE_SMS_APP_ID": "1400006666", "GATEHOUSE_SMS_SIGN": "翠竹苑物业", "GATEHOUSE_SMS_TEMPLATE_ID": "1234567", "GATEHOUSE_SMS_REGION": "ap-beijing"}
	c, err = load(good)
	if err != nil || c.SMSProvider != "tencent" || c.SMSSign != "翠竹苑物业" || c.SMSRegion != "ap-beijing" {
		t.Fatalf("tencent: %+v %v", c, err)
	}
	for _, bad := range []struct{ env, value, names string }{
		{"GATEHOUSE_SMS_PROVIDER", "aliyun", `GATEHOUSE_SMS_PROVIDER: "aliyun" is not one of log, tencent`},
		{"GATEHOUSE_SMS_SECRET_ID", "", "GATEHOUSE_SMS_SECRET_ID: is required with GATEHOUSE_SMS_PROVIDER=tencent"},
		{"GATEHOUSE_SMS_SECRET_KEY", "", "GATEHOUSE_SMS_SECRET_KEY: is required"},
		{"GATEHOUSE_SMS_SIGN", "", "GATEHOUSE_SMS_SIGN: is required"},
		{"GATEHOUSE_SMS_APP_ID", "12345", `GATEHOUSE_SMS_APP_ID: "12345" is not an SMS SdkAppId`},
		{"GATEHOUSE_SMS_TEMPLATE_ID", "SMS_1", `GATEHOUSE_SMS_TEMPLATE_ID: "SMS_1" is not a template id`},
		{"GATEHOUSE_SMS_REGION", "cn-hangzhou", `GATEHOUSE_SMS_REGION: "cn-hangzhou" is not one of ap-guangzhou`},
	} {
		env := map[string]string{}
		for k, v := range good {
			env[k] = v
		}
		env[bad.env] = bad.value
		_, err := load(env)
		if err == nil || !strings.HasPrefix(err.Error(), bad.names) || strings.Contains(err.Error(), "\n") || strings.Contains(err.Error(), "secret") {
			t.Errorf("%s=%q: %v, want one line starting %q (and no secret)", bad.env, bad.value, err, bad.names)
		}
	}
}
