package web

import (
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"mosaic"
	"mosaic/policy"
)

// LatestObjects is how many of the newest objects the picture lists.
const LatestObjects = 10

type stakeholderView struct {
	OrgName, Sectors string
	Rows             []portalRow // the newest releases delivered, up to HomeReleases
}

// home is the situational picture for those who see cell content, the
// stakeholder's own page for stakeholders, and a plain statement for the
// rest (admins, auditors without a content grant).
func (s *Server) home(w http.ResponseWriter, r *http.Request, q *request) error {
	switch {
	case q.viewer.OrgKind == mosaic.Stakeholder:
		o, err := s.store.Org(r.Context(), q.viewer.Org)
		if err != nil {
			return err
		}
		p := s.newPage(q, "home")
		p.Title = p.T("stakeholder.title")
		names := make([]string, len(o.Sectors))
		for i, sector := range o.Sectors {
			names[i] = p.SectorName(sector)
		}
		v := stakeholderView{OrgName: o.FullName, Sectors: strings.Join(names, ", ")}
		if s.receivesOn(q.viewer) {
			// The newest releases, read in a listing turn as the list is.
			l, err := s.turns.List(r.Context(), q.viewer)
			if err != nil {
				return err
			}
			defer l.Done()
			q.listing, p.listing = l, l
			if v.Rows, _, _, err = s.delivered(r, q, p, HomeReleases, 0, access("web.releases", "home")); err != nil {
				return err
			}
		}
		p.Data = v
		s.render(w, http.StatusOK, "stakeholder", p)
		return nil
	case !policy.SeesContent(q.viewer):
		p := s.newPage(q, "home")
		p.Title = p.T("nocontent.title")
		s.render(w, http.StatusOK, "nocontent", p)
		return nil
	}
	return s.picture(w, r, q)
}

type typeRow struct {
	Type, Label string
	ListType    string // the STIX type the list filters on
	Count       mosaic.PictureCount
	Spark       chart
}

type sectorRow struct {
	Sector string
	ByType []int64 // the last 30 days, in the order of pictureView.SectorTypes
	Total  mosaic.PictureCount
}

type pictureView struct {
	FirstVisit    bool
	PreviousVisit time.Time
	New           int64
	NewCapped     bool
	Types         []typeRow
	TypeChart     chart
	SectorTypes   []string // labels of sectorTypes
	Sectors       []sectorRow
	SectorChart   chart
	Rows          []objectRow
	Threats       []mosaic.SectorThreat // one per sector with a level or with counts, by name
	Live          bool
	LiveMax       int
	AllSectors    []sectorOption // by name
	Feedback      *feedbackView  // nil: the viewer reads no recipients' feedback
}

// sectorOption is a sector as a chooser offers it.
type sectorOption struct{ Sector, Name string }

// sectorTypes are the types a sector can be concerned by.
var sectorTypes = []string{"incident", "campaign", "intrusion-set", "malware"}

func (s *Server) picture(w http.ResponseWriter, r *http.Request, q *request) error {
	now := s.clock.Now()
	pic, err := s.content.Picture(r.Context(), q.viewer, now, q.session.SinceSeq, LatestObjects, access("picture.read", ""))
	if err != nil {
		return err
	}
	p := s.newPage(q, "home")
	p.Title = p.T("picture.title")
	if p.Consents {
		p.Pending = s.pendingConsents(r, q, p)
	}
	v := pictureView{FirstVisit: q.session.PreviousVisit.IsZero(), PreviousVisit: q.session.PreviousVisit,
		New: pic.New, NewCapped: pic.NewCapped, Live: true, LiveMax: LatestObjects}
	for _, t := range sectorTypes {
		v.SectorTypes = append(v.SectorTypes, p.T("type."+t))
	}
	var bars []barInput
	for _, t := range mosaic.PictureTypes {
		c := pic.ByType[t]
		label := p.T("type." + t)
		row := typeRow{Type: t, Label: label, Count: c, ListType: t}
		if t == mosaic.PictureExploited {
			row.ListType = "vulnerability"
		}
		row.Spark = sparkline("spark-"+t, typeClass(t), pic.Daily[t], p.T("picture.spark", label, c.Month, busiest(pic.Daily[t], now)))
		v.Types = append(v.Types, row)
		bars = append(bars, barInput{label, typeClass(t), c.Month})
	}
	v.TypeChart = barChart("types-chart", bars, p.T("picture.types.summary", summary(bars)))
	for sector, byType := range pic.BySector {
		if !mosaic.ValidSector(sector) {
			// Sectors are contributors' text; only the vocabulary's become
			// rows and links (the store counts no others either).
			continue
		}
		row := sectorRow{Sector: sector}
		for _, t := range sectorTypes {
			c := byType[t]
			row.ByType = append(row.ByType, c.Month)
			row.Total.Day += c.Day
			row.Total.Week += c.Week
			row.Total.Month += c.Month
		}
		v.Sectors = append(v.Sectors, row)
	}
	slices.SortFunc(v.Sectors, func(a, b sectorRow) int {
		if a.Total.Month != b.Total.Month {
			return int(b.Total.Month - a.Total.Month)
		}
		return strings.Compare(p.SectorName(a.Sector), p.SectorName(b.Sector))
	})
	bars = bars[:0]
	for _, sr := range v.Sectors {
		bars = append(bars, barInput{p.SectorName(sr.Sector), "sector", sr.Total.Month})
	}
	v.SectorChart = barChart("sectors-chart", bars, p.T("picture.sectors.summary", summary(bars)))
	for _, o := range pic.Latest {
		v.Rows = append(v.Rows, rowOf(o, q.session.SinceSeq))
	}
	levels := pic.Threats
	v.Threats = levels
	for _, sr := range v.Sectors {
		if !slices.ContainsFunc(levels, func(t mosaic.SectorThreat) bool { return t.Sector == sr.Sector }) {
			v.Threats = append(v.Threats, mosaic.SectorThreat{Sector: sr.Sector})
		}
	}
	slices.SortFunc(v.Threats, func(a, b mosaic.SectorThreat) int {
		return strings.Compare(p.SectorName(a.Sector), p.SectorName(b.Sector))
	})
	for _, sector := range mosaic.Sectors {
		v.AllSectors = append(v.AllSectors, sectorOption{sector, p.SectorName(sector)})
	}
	slices.SortFunc(v.AllSectors, func(a, b sectorOption) int { return strings.Compare(a.Name, b.Name) })
	if v.Feedback, err = s.feedbackSection(r, q, p); err != nil {
		return err
	}
	p.Data = v
	s.render(w, http.StatusOK, "picture", p)
	return nil
}

func typeClass(t string) string { return "t-" + t }

// summary writes a chart's numbers as text, for its text alternative.
func summary(bars []barInput) string {
	parts := make([]string, len(bars))
	for i, b := range bars {
		parts[i] = b.label + " " + strconv.FormatInt(b.value, 10)
	}
	return strings.Join(parts, ", ")
}

// busiest names the day with the most objects in a daily series that ends
// at now, or "-" when there are none.
func busiest(daily []int64, now time.Time) string {
	best := -1
	for i, n := range daily {
		if n > 0 && (best < 0 || n >= daily[best]) {
			best = i
		}
	}
	if best < 0 {
		return "-"
	}
	day := now.Add(-time.Duration(len(daily)-1-best) * 24 * time.Hour)
	return day.UTC().Format("2006-01-02") + " (" + strconv.FormatInt(daily[best], 10) + ")"
}
