package notify

import (
	"bytes"
	"fmt"

	"gopkg.in/yaml.v3"
)

// Settings is the reminders file `clearhouse serve --reminders` reads:
//
//	smtp:
//	  host: smtp.example.org
//	  port: 587
//	  username: reminders
//	  password_env: CLEARHOUSE_SMTP_PASSWORD   # the password is read from this variable
//	  from: reminders@clinic.example
//	  tls: starttls                            # starttls (default), tls or none
//	sms:
//	  url: https://sms.example/api/messages
//	  token_env: CLEARHOUSE_SMS_TOKEN
//	  from: "+15555550199"
//	template:                                  # every clinic's, default DefaultTemplate
//	  allow: [Clinic, ClinicPhone, When, Action]
//	  subject: "Appointment reminder from {{.Clinic}}"
//	  email: "You have an appointment at {{.Clinic}} on {{.When}}. {{.Action}}"
//	  sms: "{{.Clinic}}: appointment {{.When}}. {{.Action}}"
//	clinics:                                   # a clinic's own template, by clinic ID
//	  1: {allow: [...], subject: ..., email: ..., sms: ...}
//
// Either channel may be left out; a patient whose channel is off is
// skipped, not failed.
type Settings struct {
	SMTP *struct {
		Host        string `yaml:"host"`
		Port        int    `yaml:"port"`
		Username    string `yaml:"username"`
		PasswordEnv string `yaml:"password_env"`
		From        string `yaml:"from"`
		TLS         string `yaml:"tls"`
	} `yaml:"smtp"`
	SMS *struct {
		URL      string `yaml:"url"`
		TokenEnv string `yaml:"token_env"`
		From     string `yaml:"from"`
	} `yaml:"sms"`
	Template *templateSettings          `yaml:"template"`
	Clinics  map[int64]templateSettings `yaml:"clinics"`
}

type templateSettings struct {
	Allow   []string `yaml:"allow"`
	Subject string   `yaml:"subject"`
	Email   string   `yaml:"email"`
	SMS     string   `yaml:"sms"`
}

func (t templateSettings) template() *Template {
	return &Template{Allow: t.Allow, Subject: t.Subject, Email: t.Email, SMS: t.SMS}
}

// ParseSettings reads a reminders file (name is for errors) into a Config
// without its Store, clock and logger; getenv reads the secrets' variables.
func ParseSettings(name string, raw []byte, getenv func(string) string) (Config, error) {
	var s Settings
	dec := yaml.NewDecoder(bytes.NewReader(raw))
	dec.KnownFields(true)
	if err := dec.Decode(&s); err != nil {
		return Config{}, fmt.Errorf("%s: %w", name, err)
	}
	var cfg Config
	if s.SMTP != nil {
		c := SMTPConfig{Host: s.SMTP.Host, Port: s.SMTP.Port, Username: s.SMTP.Username, From: s.SMTP.From, TLS: s.SMTP.TLS}
		if s.SMTP.PasswordEnv != "" {
			c.Password = getenv(s.SMTP.PasswordEnv)
		}
		m, err := NewSMTPMailer(c)
		if err != nil {
			return Config{}, fmt.Errorf("%s: smtp: %w", name, err)
		}
		cfg.Email = m
	}
	if s.SMS != nil {
		c := HTTPSMSConfig{URL: s.SMS.URL, From: s.SMS.From}
		if s.SMS.TokenEnv != "" {
			c.Token = getenv(s.SMS.TokenEnv)
		}
		p, err := NewHTTPSMS(c)
		if err != nil {
			return Config{}, fmt.Errorf("%s: sms: %w", name, err)
		}
		cfg.SMS = p
	}
	if s.Template != nil {
		cfg.Template = s.Template.template()
		if err := cfg.Template.Compile(); err != nil {
			return Config{}, fmt.Errorf("%s: template: %w", name, err)
		}
	}
	for id, t := range s.Clinics {
		if cfg.Templates == nil {
			cfg.Templates = map[int64]*Template{}
		}
		cfg.Templates[id] = t.template()
		if err := cfg.Templates[id].Compile(); err != nil {
			return Config{}, fmt.Errorf("%s: clinic %d template: %w", name, id, err)
		}
	}
	return cfg, nil
}
