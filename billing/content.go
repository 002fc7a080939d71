package billing

import (
	"context"
	"fmt"

	"github.com/clearhouse/clearhouse/store"
)

// sniffFile reads an inbound file's envelope up to its first ST from the
// file store.
func (s *Service) sniffFile(ctx context.Context, f store.InboundFile) (x12Sniff, error) {
	body, err := s.st.OpenContent(ctx, f.ContentID)
	if err != nil {
		return x12Sniff{}, fmt.Errorf("inbound file %d %s: %w", f.ID, f.FileName, err)
	}
	defer body.Close()
	return sniffX12(body)
}
