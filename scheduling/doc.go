// Package scheduling runs a clinic's appointment book and the work that hangs
// off it: provider calendars, the appointment life cycle (book, reschedule,
// cancel, check in, check out, no-show), CSV imports, the nightly 270
// eligibility batches and the application of their 271 answers, and
// appointment reminders.
//
// A Service works over a Store, the part of store.Store it uses. Every call
// takes the clinic it acts for; the clock, the logger and the payer registry
// are injected through Config. Calls that change the book run in one store transaction each and
// hold the provider's row lock while they check for overlaps, so a provider
// is never double-booked, on PostgreSQL as on SQLite.
//
// # Appointment states
//
//	booked --check in--> checked_in --check out--> completed
//	booked --cancel--> cancelled
//	booked --no-show--> no_show
//	booked --reschedule--> booked
//
// Any other move fails with a *TransitionError wrapping ErrIllegalTransition.
//
// # Eligibility
//
// PrepareEligibilityBatches writes one 270 interchange per payer (Loop 2000A
// information source) for the booked appointments of the next business days,
// and records it as a store interchange in the same transaction as its control
// numbers. Each inquiry's trace number (Loop 2000C/2000D TRN02) names the
// coverage, the date of service and the interchange (see TraceNumber), so the
// 271 that echoes it finds its coverage without any other lookup table.
// ApplyEligibilityResponse records each 271 answer on its coverage and raises
// worklist items for inactive and unknown coverage and for AAA rejections.
//
// # Reminders
//
// Reminders are due at configured lead times before an appointment.
// SendReminders hands each due reminder to a Sender once: the sent record is
// a worklist row of kind WorkReminder (already resolved, so it never shows as
// open work) keyed by appointment, start time and lead time.
package scheduling
