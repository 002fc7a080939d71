package notify_test

import (
	"testing"

	"github.com/clearhouse/clearhouse/notify"
)

// FuzzParseSettings: no reminders file, however broken, panics, and a
// template that compiles renders without error.
func FuzzParseSettings(f *testing.F) {
	f.Add([]byte("smtp:\n  host: smtp.example.org\n  from: a@b.example\n  tls: none\n"))
	f.Add([]byte("sms:\n  url: http://127.0.0.1:1/\n  token_env: T\ntemplate:\n  allow: [Clinic, When]\n  subject: s\n  email: \"{{.Clinic}} {{.When}}\"\n  sms: \"{{.When}}\"\n"))
	f.Add([]byte("template:\n  allow: [Clinic]\n  subject: s\n  email: \"{{.FirstName}}\"\n  sms: x\n"))
	f.Add([]byte("clinics:\n  1: {allow: [FirstName], subject: \"{{.FirstName}}\", email: e, sms: \"{{range .}}{{.}}{{end}}\"}\n"))
	f.Add([]byte("::\n\t- ["))
	f.Fuzz(func(t *testing.T, raw []byte) {
		cfg, err := notify.ParseSettings("reminders.yaml", raw, func(string) string { return "secret" })
		if err != nil {
			return
		}
		for _, tpl := range append([]*notify.Template{cfg.Template}, mapValues(cfg.Templates)...) {
			if tpl == nil {
				continue
			}
			fields := map[string]string{}
			for _, f := range notify.AllFields {
				fields[f] = "v"
			}
			for _, ch := range []string{"email", "sms"} {
				if _, err := tpl.Render(ch, fields); err != nil {
					t.Fatalf("a compiled template fails to render: %v", err)
				}
			}
		}
	})
}

func mapValues(m map[int64]*notify.Template) []*notify.Template {
	var out []*notify.Template
	for _, v := range m {
		out = append(out, v)
	}
	return out
}
