package notify

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"text/template"
)

// Fields a template may use. Fields marked PHI name or describe the
// patient's care; a clinic allows them deliberately.
const (
	FieldClinic      = "Clinic"      // the clinic's name
	FieldClinicPhone = "ClinicPhone" // the clinic's phone number
	FieldWhen        = "When"        // the appointment's date and time
	FieldAction      = "Action"      // what to do: confirm, or call to reschedule
	FieldFirstName   = "FirstName"   // PHI: the patient's first name
	FieldProvider    = "Provider"    // PHI: the provider's name
	FieldReason      = "Reason"      // PHI: the appointment's reason
)

// AllFields are the fields a template can name in Allow.
var AllFields = []string{FieldClinic, FieldClinicPhone, FieldWhen, FieldAction, FieldFirstName, FieldProvider, FieldReason}

// Template is a clinic's reminder text. Subject and Email are the e-mail's
// subject and plain-text body, SMS the text message; all three are Go
// text/template strings over the fields in Allow.
type Template struct {
	Allow   []string
	Subject string
	Email   string
	SMS     string

	subject, email, sms *template.Template
}

// DefaultTemplate names the clinic, the time and what to do: no PHI.
func DefaultTemplate() Template {
	return Template{
		Allow:   []string{FieldClinic, FieldClinicPhone, FieldWhen, FieldAction},
		Subject: "Appointment reminder from {{.Clinic}}",
		Email:   "You have an appointment at {{.Clinic}} on {{.When}}.\n{{.Action}}\n",
		SMS:     "{{.Clinic}}: appointment {{.When}}. {{.Action}}",
	}
}

// ErrTemplate is wrapped by every template validation error.
var ErrTemplate = errors.New("notify: reminder template")

// Compile parses the template and checks it against its Allow list: a
// field outside the list fails.
func (t *Template) Compile() error {
	for _, f := range t.Allow {
		if !slices.Contains(AllFields, f) {
			return fmt.Errorf("%w: unknown field %q in allow (known: %s)", ErrTemplate, f, strings.Join(AllFields, ", "))
		}
	}
	var errs []error
	parse := func(name, text string) *template.Template {
		if strings.TrimSpace(text) == "" {
			errs = append(errs, fmt.Errorf("%w: %s is empty", ErrTemplate, name))
			return nil
		}
		tp, err := template.New(name).Option("missingkey=error").Parse(text)
		if err != nil {
			errs = append(errs, fmt.Errorf("%w: %v", ErrTemplate, err))
			return nil
		}
		// Every allowed field set: what fails reads a field not allowed.
		probe := map[string]string{}
		for _, f := range t.Allow {
			probe[f] = "x"
		}
		if err := tp.Execute(&strings.Builder{}, probe); err != nil {
			errs = append(errs, fmt.Errorf("%w: %s uses a field its allow list does not name: %v", ErrTemplate, name, err))
		}
		return tp
	}
	t.subject, t.email, t.sms = parse("subject", t.Subject), parse("email", t.Email), parse("sms", t.SMS)
	return errors.Join(errs...)
}

// Message is a rendered reminder.
type Message struct {
	Subject, Body string
}

// Render renders the message for a channel from fields; fields outside
// the Allow list are dropped before the template sees them.
func (t *Template) Render(channel string, fields map[string]string) (Message, error) {
	if t.sms == nil || t.email == nil || t.subject == nil {
		if err := t.Compile(); err != nil {
			return Message{}, err
		}
	}
	data := make(map[string]string, len(t.Allow))
	for _, f := range t.Allow {
		data[f] = fields[f]
	}
	exec := func(tp *template.Template) (string, error) {
		var b strings.Builder
		err := tp.Execute(&b, data)
		return b.String(), err
	}
	var m Message
	var err error
	if channel == "sms" {
		m.Body, err = exec(t.sms)
		return m, err
	}
	if m.Subject, err = exec(t.subject); err != nil {
		return m, err
	}
	m.Body, err = exec(t.email)
	return m, err
}
