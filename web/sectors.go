package web

import (
	"errors"
	"net/http"
	"strings"

	"mosaic"
	"mosaic/policy"
)

// MaxThreatHistory is how many settings a sector's page lists.
const MaxThreatHistory = 100

type sectorView struct {
	Sector  string
	Current *mosaic.SectorThreat
	History []mosaic.SectorThreat
	Levels  []mosaic.ThreatLevel
	Level   string // what the form had
	Reason  string
	Errors  map[string][]string
}

func (s *Server) sectorPage(w http.ResponseWriter, r *http.Request, q *request) error {
	v := sectorView{Sector: r.PathValue("sector"), Errors: map[string][]string{}}
	return s.renderSector(w, r, q, http.StatusOK, v)
}

func (s *Server) renderSector(w http.ResponseWriter, r *http.Request, q *request, status int, v sectorView) error {
	if !mosaic.ValidSector(v.Sector) {
		return uiErr(mosaic.CodeNotFound, "error.sector", v.Sector)
	}
	if !policy.SeesContent(q.viewer) {
		return uiErr(mosaic.CodeForbidden, "error.nocontent")
	}
	hist, err := s.content.ThreatLevels(r.Context(), q.viewer, v.Sector, MaxThreatHistory, access("threat-levels.read", v.Sector))
	if err != nil {
		return err
	}
	v.History, v.Levels = hist, mosaic.ThreatLevels
	if len(hist) > 0 {
		v.Current = &hist[0]
	}
	p := s.newPage(q, "home")
	p.Title = p.T("sector.title", p.SectorName(v.Sector))
	p.Data = v
	s.render(w, status, "sector", p)
	return nil
}

func (s *Server) setThreatLevel(w http.ResponseWriter, r *http.Request, q *request) error {
	v := sectorView{Sector: r.PathValue("sector"), Errors: map[string][]string{},
		Level: r.PostFormValue("level"), Reason: strings.TrimSpace(r.PostFormValue("reason"))}
	err := s.content.SetThreatLevel(r.Context(), q.viewer, v.Sector, mosaic.ThreatLevel(v.Level), v.Reason)
	var me *mosaic.Error
	switch {
	case err == nil:
		http.Redirect(w, r, "/sectors/"+v.Sector, http.StatusSeeOther)
		return nil
	case mosaic.ErrorCode(err) == mosaic.CodeInvalid && errors.As(err, &me) && mosaic.ValidSector(v.Sector):
		for _, p := range me.Problems {
			v.Errors[p.Property] = append(v.Errors[p.Property], p.Reason)
		}
		return s.renderSector(w, r, q, http.StatusBadRequest, v)
	}
	return err
}

// gotoSector takes the picture's sector chooser to the sector's page.
func (s *Server) gotoSector(w http.ResponseWriter, r *http.Request, q *request) error {
	sector := r.URL.Query().Get("sector")
	if !mosaic.ValidSector(sector) {
		return uiErr(mosaic.CodeNotFound, "error.sector", sector)
	}
	http.Redirect(w, r, "/sectors/"+sector, http.StatusSeeOther)
	return nil
}
