package billing

import (
	"fmt"
	"io"
	"time"

	"codeberg.org/go-pdf/fpdf"

	"github.com/clearhouse/clearhouse/money"
)

// WriteStatementsPDF writes statements as one PDF, a statement per page
// (or more when a statement runs long): the clinic and patient, each visit
// with its lines, what insurance paid, adjustments, what is pending, the
// patient's share and payments, then payments and credits, aging and the
// balance due. Dates and times in the file come from the statements, so
// the same statements make the same bytes.
func WriteStatementsPDF(w io.Writer, sts []*Statement) error {
	pdf := fpdf.New("P", "mm", "Letter", "")
	pdf.SetCreator("Clearhouse", true)
	pdf.SetTitle("Patient statements", true)
	pdf.SetCompression(true)
	pdf.SetCatalogSort(true)
	var stamp time.Time
	for _, st := range sts {
		if st.Date.After(stamp) {
			stamp = st.Date
		}
	}
	pdf.SetCreationDate(stamp)
	pdf.SetModificationDate(stamp)
	pdf.SetMargins(18, 18, 18)
	pdf.SetAutoPageBreak(true, 18)
	for _, st := range sts {
		statementPage(pdf, st)
	}
	if len(sts) == 0 {
		pdf.AddPage()
		pdf.SetFont("Helvetica", "", 11)
		pdf.CellFormat(0, 6, "No statements.", "", 1, "L", false, 0, "")
	}
	return pdf.Output(w)
}

func statementPage(pdf *fpdf.Fpdf, st *Statement) {
	tr := pdf.UnicodeTranslatorFromDescriptor("")
	amount := func(c int64) string { return money.Cents(c).Dollars() }
	pdf.AddPage()
	pdf.SetFont("Helvetica", "B", 16)
	pdf.CellFormat(0, 8, tr(st.Clinic.Name), "", 1, "L", false, 0, "")
	pdf.SetFont("Helvetica", "", 10)
	if st.Clinic.AddressLine1 != "" {
		pdf.CellFormat(0, 5, tr(fmt.Sprintf("%s, %s, %s %s", st.Clinic.AddressLine1, st.Clinic.City, st.Clinic.State, st.Clinic.PostalCode)), "", 1, "L", false, 0, "")
	}
	if st.Clinic.ContactPhone != "" {
		pdf.CellFormat(0, 5, tr("Questions: "+st.Clinic.ContactPhone), "", 1, "L", false, 0, "")
	}
	pdf.Ln(3)
	pdf.SetFont("Helvetica", "B", 13)
	pdf.CellFormat(120, 7, "STATEMENT", "", 0, "L", false, 0, "")
	pdf.SetFont("Helvetica", "", 10)
	pdf.CellFormat(0, 7, "Date: "+st.Date.Format(time.DateOnly), "", 1, "R", false, 0, "")
	pdf.CellFormat(0, 5, tr(fmt.Sprintf("%s, %s (MRN %s)", st.Patient.LastName, st.Patient.FirstName, st.Patient.MRN)), "", 1, "L", false, 0, "")
	if st.Patient.AddressLine1 != "" {
		pdf.CellFormat(0, 5, tr(st.Patient.AddressLine1), "", 1, "L", false, 0, "")
		pdf.CellFormat(0, 5, tr(fmt.Sprintf("%s, %s %s", st.Patient.City, st.Patient.State, st.Patient.PostalCode)), "", 1, "L", false, 0, "")
	}
	pdf.Ln(4)
	row := func(label string, cents int64, bold bool) {
		style := ""
		if bold {
			style = "B"
		}
		pdf.SetFont("Helvetica", style, 10)
		pdf.CellFormat(130, 5, tr(label), "", 0, "L", false, 0, "")
		pdf.CellFormat(0, 5, amount(cents), "", 1, "R", false, 0, "")
	}
	for _, v := range st.Visits {
		pdf.SetFont("Helvetica", "B", 11)
		pdf.SetFillColor(235, 235, 235)
		pdf.CellFormat(0, 6, "Visit "+v.ServiceDate.Format(time.DateOnly), "", 1, "L", true, 0, "")
		pdf.SetFont("Helvetica", "", 10)
		for _, l := range v.Lines {
			pdf.CellFormat(10, 5, "", "", 0, "L", false, 0, "")
			pdf.CellFormat(120, 5, tr(l.Procedure), "", 0, "L", false, 0, "")
			pdf.CellFormat(0, 5, amount(l.ChargeCents), "", 1, "R", false, 0, "")
		}
		row("Charges", v.ChargeCents, false)
		row("Insurance paid", -v.InsurancePaidCents, false)
		row("Adjustments", -v.AdjustmentCents, false)
		if v.PendingInsuranceCents != 0 {
			row("Pending with insurance", v.PendingInsuranceCents, false)
		}
		row("Your responsibility", v.PatientResponsibilityCents, false)
		if v.PatientPaidCents != 0 {
			row("You paid", -v.PatientPaidCents, false)
		}
		pdf.Ln(2)
	}
	pdf.Line(18, pdf.GetY(), 197.9, pdf.GetY())
	pdf.Ln(2)
	row("Payments and credits", -st.PatientPaymentCents, false)
	if st.CreditCents != 0 {
		row("Credit on account", -st.CreditCents, false)
	}
	pdf.Ln(2)
	pdf.SetFont("Helvetica", "B", 10)
	w := 179.9 / float64(len(StatementAgingBuckets))
	for _, label := range StatementAgingBuckets {
		pdf.CellFormat(w, 6, label, "1", 0, "C", false, 0, "")
	}
	pdf.Ln(-1)
	pdf.SetFont("Helvetica", "", 10)
	for i := range StatementAgingBuckets {
		pdf.CellFormat(w, 6, amount(st.AgingCents[i]), "1", 0, "C", false, 0, "")
	}
	pdf.Ln(-1)
	pdf.Ln(3)
	pdf.SetFont("Helvetica", "B", 13)
	pdf.CellFormat(130, 8, "BALANCE DUE", "", 0, "L", false, 0, "")
	pdf.CellFormat(0, 8, amount(st.BalanceDueCents), "", 1, "R", false, 0, "")
}
