// Package notify delivers the reminder outbox: each row that scheduling
// writes (store.ReminderMessage) is rendered from the clinic's template and
// sent once, by e-mail over SMTP or by text message through an SMS
// provider, on the channel the patient chose; the row records the delivery,
// the bounce, the skip (opt-out, no address) or the last temporary error.
//
// # Once, and retried
//
// Deliver is called by the River job scheduling inserted with the row
// (scheduling.DeliverReminderArgs). It sends only a pending row whose
// appointment is still booked at the time the row announces, and marks it
// sent in the same call; a temporary failure (connection refused, SMTP 4xx,
// SMS provider 5xx) is recorded on the row and returned, so River tries
// again with its exponential backoff, and the last attempt marks the row
// failed. A permanent refusal (SMTP 5xx on the recipient, SMS provider 4xx)
// marks the row bounced and is not retried. The one gap is a crash between
// the server's acceptance and the row's update: the reminder then goes out
// a second time (at-least-once), never zero times.
//
// # What a message may say
//
// A Template names the fields it may use (Allow); the data given to it
// holds those fields and no others, and a template that reads a field it
// does not allow fails validation. The clinic decides how much protected
// health information a reminder carries: the default template names the
// clinic and the time only, never the patient, the provider or the reason
// for the visit. Logs carry IDs, never addresses, names or text.
package notify
