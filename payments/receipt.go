package payments

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"codeberg.org/go-pdf/fpdf"

	"github.com/clearhouse/clearhouse/money"
	"github.com/clearhouse/clearhouse/store"
)

// Receipt is what the patient is handed for a payment.
type Receipt struct {
	Clinic  store.Clinic
	Patient store.Patient
	Payment store.PatientPayment
	// Applied are the visits the payment paid, by date of service.
	Applied []ReceiptLine
}

// ReceiptLine is one visit a payment paid.
type ReceiptLine struct {
	ServiceDate time.Time
	ClaimID     int64
	Cents       int64
}

// Receipt builds a payment's receipt.
func (s *Service) Receipt(ctx context.Context, clinicID, id int64) (*Receipt, error) {
	r := &Receipt{}
	err := s.st.InTx(ctx, clinicID, func(tx store.Tx) error {
		var err error
		if r.Clinic, err = tx.GetClinic(ctx, store.GetClinicParams{ClinicID: clinicID}); err != nil {
			return err
		}
		if r.Payment, err = tx.GetPatientPayment(ctx, store.Ref{ID: id}); err != nil {
			return err
		}
		if r.Patient, err = tx.GetPatient(ctx, store.Ref{ID: r.Payment.PatientID}); err != nil {
			return err
		}
		allocs, err := tx.ListPaymentAllocations(ctx, store.ListPaymentAllocationsParams{PaymentIDs: []int64{id}})
		if err != nil {
			return err
		}
		net, order := netByClaim(allocs)
		claims, err := tx.GetClaimsByIDs(ctx, store.IDsParams{IDs: order})
		if err != nil {
			return err
		}
		dates := map[int64]time.Time{}
		for _, c := range claims {
			dates[c.ID] = c.ServiceDateFrom
		}
		for _, c := range order {
			if net[c] != 0 {
				r.Applied = append(r.Applied, ReceiptLine{ServiceDate: dates[c], ClaimID: c, Cents: net[c]})
			}
		}
		return nil
	})
	return r, err
}

func (r *Receipt) method() string {
	p := r.Payment
	switch p.Method {
	case store.PaymentCard:
		if p.CardLast4 != "" {
			return fmt.Sprintf("card (%s ending %s)", p.CardBrand, p.CardLast4)
		}
		return "card"
	case store.PaymentCheck:
		if p.Reference != "" {
			return "check " + p.Reference
		}
	}
	return p.Method
}

// lines are the receipt's label and amount rows.
func (r *Receipt) lines() [][2]string {
	p := r.Payment
	rows := [][2]string{{"Amount paid", money.Cents(p.AmountCents).Dollars()}}
	for _, a := range r.Applied {
		rows = append(rows, [2]string{"  Applied to visit " + a.ServiceDate.Format(time.DateOnly), money.Cents(a.Cents).Dollars()})
	}
	rows = append(rows, [2]string{"  On account", money.Cents(p.UnappliedCents()).Dollars()})
	if p.RefundedCents != 0 {
		rows = append(rows, [2]string{"Refunded", money.Cents(-p.RefundedCents).Dollars()})
	}
	return rows
}

// WriteReceipt prints a receipt as plain text, 60 columns wide.
func WriteReceipt(w io.Writer, r *Receipt) error {
	bw := bufio.NewWriter(w)
	p := r.Payment
	fmt.Fprintf(bw, "RECEIPT  %s\n", r.Clinic.Name)
	fmt.Fprintf(bw, "Receipt no. %d   Date: %s\n", p.ID, p.ReceivedOn.Format(time.DateOnly))
	fmt.Fprintf(bw, "Patient: %s, %s (MRN %s)\n", r.Patient.LastName, r.Patient.FirstName, r.Patient.MRN)
	fmt.Fprintf(bw, "Paid by: %s\n", r.method())
	if p.Reference != "" && p.Method != store.PaymentCheck {
		fmt.Fprintf(bw, "Reference: %s\n", p.Reference)
	}
	fmt.Fprintln(bw, strings.Repeat("-", 60))
	for _, l := range r.lines() {
		fmt.Fprintf(bw, "%-44s %15s\n", l[0], l[1])
	}
	if p.Status == store.PaymentVoided {
		fmt.Fprintln(bw, "VOIDED")
	}
	fmt.Fprintln(bw, strings.Repeat("-", 60))
	fmt.Fprintln(bw, "Thank you.")
	return bw.Flush()
}

// WriteReceiptPDF writes a receipt as a one-page PDF (half-letter), the
// same content as WriteReceipt; the same receipt makes the same bytes.
func WriteReceiptPDF(w io.Writer, r *Receipt) error {
	pdf := fpdf.NewCustom(&fpdf.InitType{UnitStr: "mm", Size: fpdf.SizeType{Wd: 139.7, Ht: 215.9}})
	pdf.SetCreator("Clearhouse", true)
	pdf.SetTitle(fmt.Sprintf("Receipt %d", r.Payment.ID), true)
	pdf.SetCatalogSort(true)
	pdf.SetCreationDate(r.Payment.CreatedAt)
	pdf.SetModificationDate(r.Payment.CreatedAt)
	pdf.SetMargins(12, 12, 12)
	tr := pdf.UnicodeTranslatorFromDescriptor("")
	pdf.AddPage()
	p := r.Payment
	pdf.SetFont("Helvetica", "B", 14)
	pdf.CellFormat(0, 7, tr(r.Clinic.Name), "", 1, "L", false, 0, "")
	pdf.SetFont("Helvetica", "B", 12)
	pdf.CellFormat(0, 7, fmt.Sprintf("RECEIPT %d", p.ID), "", 1, "L", false, 0, "")
	pdf.SetFont("Helvetica", "", 10)
	pdf.CellFormat(0, 5, "Date: "+p.ReceivedOn.Format(time.DateOnly), "", 1, "L", false, 0, "")
	pdf.CellFormat(0, 5, tr(fmt.Sprintf("Patient: %s, %s (MRN %s)", r.Patient.LastName, r.Patient.FirstName, r.Patient.MRN)), "", 1, "L", false, 0, "")
	pdf.CellFormat(0, 5, tr("Paid by: "+r.method()), "", 1, "L", false, 0, "")
	if p.Reference != "" && p.Method != store.PaymentCheck {
		pdf.CellFormat(0, 5, tr("Reference: "+p.Reference), "", 1, "L", false, 0, "")
	}
	pdf.Ln(3)
	for i, l := range r.lines() {
		style := ""
		if i == 0 {
			style = "B"
		}
		pdf.SetFont("Helvetica", style, 10)
		pdf.CellFormat(80, 6, tr(l[0]), "B", 0, "L", false, 0, "")
		pdf.CellFormat(0, 6, l[1], "B", 1, "R", false, 0, "")
	}
	if p.Status == store.PaymentVoided {
		pdf.SetFont("Helvetica", "B", 12)
		pdf.CellFormat(0, 8, "VOIDED", "", 1, "L", false, 0, "")
	}
	pdf.Ln(4)
	pdf.SetFont("Helvetica", "", 10)
	pdf.CellFormat(0, 5, "Thank you.", "", 1, "L", false, 0, "")
	return pdf.Output(w)
}
