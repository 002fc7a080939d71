package worker

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/clearhouse/clearhouse/codes"
	"github.com/clearhouse/clearhouse/store"
)

// checkCodeSets raises one operations worklist item for each code set that
// is stale today (its latest release ended: claims of later dates are
// checked against an out-of-date release), naming the release to import.
// The item is raised once per ended release and clinic; importing a newer
// release ends the staleness, and the item is resolved by staff.
func (p *Pipeline) checkCodeSets(ctx context.Context, clinicID int64) error {
	if p.cfg.Codes == nil {
		return nil
	}
	today := codes.DayOf(p.cfg.Now().In(p.cfg.Location))
	for _, c := range p.cfg.Codes.Stale(today) {
		title := fmt.Sprintf("Code set %s out of date: release %s ended %s; import %s", c.Kind, c.Release.Name, c.Ended, c.Import)
		details, err := json.Marshal(struct {
			Kind    codes.Kind `json:"kind"`
			Release string     `json:"release"`
			Ended   string     `json:"ended"`
			Action  string     `json:"action"`
		}{c.Kind, c.Release.Name, c.Ended.String(), "import " + c.Import})
		if err != nil {
			return err
		}
		err = p.cfg.Store.InTx(ctx, clinicID, func(tx store.Tx) error {
			_, _, err := tx.CreateWorklistItem(ctx, store.CreateWorklistItemParams{ClinicID: clinicID, Kind: store.WorkCodeSet, Priority: 3,
				Title: title, Details: details, DedupeKey: "code-set-stale-" + string(c.Kind) + "-" + c.Release.Name})
			return err
		})
		if err != nil {
			return fmt.Errorf("code set %s: %w", c.Kind, err)
		}
		p.log.Warn("code set out of date", "clinic", clinicID, "set", c.Kind, "release", c.Release.Name, "ended", c.Ended.String())
	}
	return nil
}
