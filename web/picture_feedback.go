package web

import (
	"net/http"
	"strconv"
	"strings"

	"mosaic"
)

// feedbackView is the picture's section on recipients' feedback.
type feedbackView struct {
	Published mosaic.PictureCount
	Sectors   []feedbackSector
	Chart     chart
	Releases  []mosaic.ReleaseFeedback
}

type feedbackSector struct {
	mosaic.SectorFeedback
	AcknowledgedPct, AppliedPct int64
}

// share is part of whole in whole percent, rounded down, so that a share
// shows 100 only when all did.
func share(part, whole int64) int64 {
	if whole == 0 {
		return 0
	}
	return part * 100 / whole
}

// feedbackSection builds the feedback section for the viewer, or nil when
// the content service grants none: the section is then absent from the
// page, not shown empty.
func (s *Server) feedbackSection(r *http.Request, q *request, p *page) (*feedbackView, error) {
	if !s.content.FeedbackOn() {
		return nil, nil
	}
	pic, err := s.content.FeedbackPicture(r.Context(), q.viewer, s.clock.Now(), access("picture.feedback", ""))
	switch mosaic.ErrorCode(err) {
	case "":
	case mosaic.CodeForbidden, mosaic.CodeNotFound:
		return nil, nil
	default:
		return nil, err
	}
	v := &feedbackView{Published: pic.Published, Releases: pic.Releases}
	var bars []barInput
	var labels []string
	for _, sf := range pic.Sectors {
		row := feedbackSector{SectorFeedback: sf, AcknowledgedPct: share(sf.Acknowledged, sf.Deliveries), AppliedPct: share(sf.Applied, sf.Deliveries)}
		v.Sectors = append(v.Sectors, row)
		name := p.SectorName(sf.Sector)
		bars = append(bars, barInput{name, "sector", row.AcknowledgedPct})
		labels = append(labels, name+" "+strconv.FormatInt(row.AcknowledgedPct, 10)+"%")
	}
	v.Chart = barChart("feedback-chart", bars, p.T("picture.feedback.chart.summary", strings.Join(labels, ", ")))
	return v, nil
}
