package web

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"mosaic"
)

var errLanguage = mosaic.Errorf(mosaic.CodeInvalid, "unknown language; choose en or nl")

// languages are the UI's languages; the first is the default when the
// browser asks for none of them.
var languages = []string{"en", "nl"}

const languageCookie = "mosaic-lang"

// pickLanguage chooses the user's language: the one they chose (a cookie),
// otherwise the browser's preference (Accept-Language), otherwise English.
func pickLanguage(r *http.Request) string {
	if c, err := r.Cookie(languageCookie); err == nil {
		if _, ok := messages[c.Value]; ok {
			return c.Value
		}
	}
	best, bestQ := languages[0], 0.0
	for _, part := range strings.Split(r.Header.Get("Accept-Language"), ",") {
		tag, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		primary, _, _ := strings.Cut(strings.ToLower(strings.TrimSpace(tag)), "-")
		q := 1.0
		if v, ok := strings.CutPrefix(strings.TrimSpace(params), "q="); ok {
			if f, err := strconv.ParseFloat(v, 64); err == nil {
				q = f
			}
		}
		if _, ok := messages[primary]; ok && q > bestQ {
			best, bestQ = primary, q
		}
	}
	return best
}

// setLanguage remembers the user's choice for a year and goes back to the
// page they were on. It is a link, not a form, so that it works the same
// before and after sign-in; it changes nothing but a preference.
func (s *Server) setLanguage(w http.ResponseWriter, r *http.Request, q *request) error {
	lang := r.URL.Query().Get("lang")
	if _, ok := messages[lang]; !ok {
		return errLanguage
	}
	http.SetCookie(w, &http.Cookie{Name: languageCookie, Value: lang, Path: "/", HttpOnly: true, Secure: s.secure,
		SameSite: http.SameSiteLaxMode, Expires: s.clock.Now().Add(365 * 24 * time.Hour)})
	back := r.URL.Query().Get("back")
	if !localPath(back) {
		back = "/"
	}
	http.Redirect(w, r, back, http.StatusSeeOther)
	return nil
}

// messages holds every text of the UI in every language. A test fails when
// a key is missing in one of them, or when a template or handler uses a
// key that is in none.
var messages = map[string]map[string]string{
	"en": {
		"language.name":  "English",
		"language.label": "Language",
		"skip":           "Skip to content",
		"nav.label":      "Main",
		"nav.home":       "Situational picture",
		"nav.objects":    "Objects",
		"signout":        "Sign out",
		"footer":         "Mosaic · joint cyber intel/info cell. Everything here is confidential: handle it as its TLP label and envelope say.",

		"login.title":    "Sign in",
		"login.intro":    "Sign in with your Mosaic user name and password.",
		"login.user":     "User name",
		"login.password": "Password",
		"login.submit":   "Sign in",
		"login.failed":   "The user name or the password is wrong.",
		"login.limited":  "Too many failed sign-ins. Wait a minute and try again.",
		"login.expired":  "The sign-in form had expired. Please try again.",

		"error.request":                      "Request id:",
		"error.home":                         "Back to the start page",
		"error.title.invalid":                "Invalid request",
		"error.title.unauthorized":           "Not signed in",
		"error.title.forbidden":              "Not allowed",
		"error.title.not-found":              "Not found",
		"error.title.conflict":               "Conflict",
		"error.title.too-large":              "Too large",
		"error.title.method-not-allowed":     "Method not allowed",
		"error.title.rate-limited":           "Too many requests",
		"error.title.unavailable":            "Unavailable",
		"error.title.internal":               "Something went wrong",
		"error.title.unsupported-media-type": "Unsupported content",

		"stakeholder.title":            "Your organisation's page",
		"stakeholder.empty.title":      "Nothing has been released to you yet",
		"stakeholder.empty.body":       "The cell shares information with your organisation through releases. Once a release or advisory is addressed to your organisation or sector, it appears here:",
		"stakeholder.empty.releases":   "releases: snapshots of objects the originators approved for you, with their TLP label;",
		"stakeholder.empty.advisories": "advisories (actionable advice) with recommended actions, which you can acknowledge;",
		"stakeholder.empty.sightings":  "a place to report sightings and the status of advice back to the cell.",
		"stakeholder.empty.org":        "Organisation: %s. Sectors: %s.",

		"nocontent.title": "No cell content for your role",
		"nocontent.body":  "Your role (%s) does not see the cell's objects.",
		"nocontent.api":   "Administration and the audit log are available through the API:",

		"objects.title":          "Objects",
		"objects.results":        "Search: %s",
		"objects.filters":        "Filter objects",
		"objects.q":              "Search",
		"objects.q.help":         "Words, or an observable such as an IP address, domain, URL or hash.",
		"objects.type":           "Type",
		"objects.originator":     "Originator",
		"objects.any":            "Any",
		"objects.apply":          "Show",
		"objects.none":           "No objects match.",
		"objects.caption":        "Objects, newest first",
		"objects.col.name":       "Name",
		"objects.col.type":       "Type",
		"objects.col.originator": "Originator",
		"objects.col.modified":   "Modified",
		"objects.pages":          "Pages",
		"objects.first":          "First page",
		"objects.next":           "Next page",

		"object.tlp":           "Traffic Light Protocol label",
		"object.envelope":      "Handling",
		"object.originator":    "Originator",
		"object.audience":      "Audience",
		"object.orcon.yes":     "yes: nothing leaves the cell without the originator's consent",
		"object.orcon.no":      "no",
		"object.legal":         "Legal basis",
		"object.review":        "Review by",
		"object.added":         "Stored",
		"object.properties":    "Properties",
		"object.raw":           "Raw JSON",
		"object.relationships": "Relationships",
		"object.rel.this":      "this object",
		"object.rel.link":      "relationship",
		"object.correlations":  "Correlations",
		"object.shared":        "shares",
		"object.versions":      "Versions",
		"object.modified":      "Modified",
		"object.changes":       "Changes from the originator's previous version",
		"object.firstversion":  "first version",
		"object.none":          "None that you can see.",
		"object.graph":         "Graph of this object's %d relationships, listed below.",
		"object.graph.caption": "This object in the middle, what it is related to around it; the arrows say which way the relationship goes. The list below has every relationship.",

		"diff.added":   "added",
		"diff.removed": "removed",
		"diff.changed": "changed",

		"tlp.clear":        "Recipients may share this without restriction.",
		"tlp.green":        "Recipients may share this within their community, not publicly.",
		"tlp.amber":        "Limited disclosure: recipients may share this only on a need-to-know basis within their organisation and its clients.",
		"tlp.amber+strict": "Limited disclosure: recipients may share this only on a need-to-know basis within their own organisation.",
		"tlp.red":          "For the eyes and ears of individual recipients only: no further disclosure.",

		"type.incident":                "Incidents",
		"type.campaign":                "Campaigns",
		"type.intrusion-set":           "Intrusion sets",
		"type.malware":                 "Malware",
		"type.indicator":               "Indicators",
		"type.exploited-vulnerability": "Exploited vulnerabilities",

		"picture.title":           "Situational picture",
		"picture.lede":            "What the cell knows, as far as you may see it as a member of %s. Counts go by the time objects were created.",
		"picture.new.title":       "New since your last visit",
		"picture.new.first":       "This is your first visit: everything is new.",
		"picture.new.count":       "objects stored since your last visit (%s).",
		"picture.new.badge":       "new",
		"picture.types.title":     "By type",
		"picture.types.caption":   "Objects created in the last 30 days, by type.",
		"picture.types.table":     "Objects by type created in the last 24 hours, 7 days and 30 days",
		"picture.types.summary":   "Objects created in the last 30 days: %s.",
		"picture.spark":           "%s per day over the last 30 days: %d in all; busiest day %s.",
		"picture.sectors.title":   "By sector",
		"picture.sectors.caption": "Incidents, campaigns, intrusion sets and malware that concern each sector, last 30 days.",
		"picture.sectors.table":   "Objects that concern each sector, by type over the last 30 days, and in all over 24 hours, 7 days and 30 days",
		"picture.sectors.summary": "Objects concerning each sector in the last 30 days: %s.",
		"picture.sectors.note":    "A sector counts an object when a relationship links it to an organisation or sector identity in that sector (targets, or for incidents any relationship).",
		"picture.sectors.none":    "No object you can see concerns a sector in the last 30 days.",
		"picture.col.type":        "Type",
		"picture.col.sector":      "Sector",
		"picture.col.day":         "24 h",
		"picture.col.week":        "7 days",
		"picture.col.month":       "30 days",
		"picture.col.trend":       "Per day",
		"picture.latest.title":    "Latest objects",
		"picture.latest.all":      "All objects",
		"live.new":                "%d new objects arrived since this page was loaded; reload the page for updated counts.",

		"nav.contribute":              "Contribute",
		"object.addnote":              "Add a note",
		"contribute.title":            "Contribute",
		"contribute.lede":             "Add what your organisation knows. It is stored under your organisation as originator, with the handling you choose below; sharing is a choice.",
		"contribute.bundle.title":     "Upload a STIX 2.1 bundle",
		"contribute.file":             "Bundle file",
		"contribute.file.help":        "A STIX 2.1 bundle in JSON. It is stored whole or not at all.",
		"contribute.file.missing":     "Choose a file to upload.",
		"contribute.bundle.submit":    "Upload",
		"contribute.indicator.title":  "Create an indicator",
		"contribute.name":             "Name",
		"contribute.pattern":          "STIX pattern",
		"contribute.pattern.help":     "For example [ipv4-addr:value = '198.51.100.7'] or [domain-name:value = 'evil.example'].",
		"contribute.description":      "Description",
		"contribute.indicator.submit": "Create indicator",
		"contribute.note.title":       "Write a note",
		"contribute.abstract":         "Summary",
		"contribute.content":          "Note",
		"contribute.refs":             "About (object ids)",
		"contribute.refs.help":        "The ids of the objects the note is about, separated by spaces or new lines.",
		"contribute.note.submit":      "Save note",
		"contribute.default":          "Default",
		"contribute.envelope":         "Handling",
		"contribute.default.audience": "Your organisation's default",
		"contribute.default.orcon":    "Default (yes)",
		"contribute.yes":              "yes",
		"contribute.no":               "no",
		"contribute.default.legal":    "Your organisation's legal regime",
		"contribute.review.help":      "Empty: today plus the legal basis's review period.",
		"contribute.required":         "This field is required.",
		"contribute.refs.missing":     "Name at least one object the note is about.",
		"contribute.refs.bad":         "%s is not a STIX identifier (type--uuid).",
		"contribute.done":             "Stored: %d new objects, %d new versions, %d unchanged.",

		"sector.title":         "Sector %s",
		"sector.current":       "Current threat level",
		"sector.setby":         "Set by %s (%s) at %s.",
		"sector.none":          "No threat level has been set for this sector.",
		"sector.set":           "Set the threat level",
		"sector.level":         "Threat level",
		"sector.reason":        "Reason",
		"sector.submit":        "Set level",
		"sector.history":       "History",
		"sector.when":          "When",
		"sector.who":           "Set by",
		"threat.low":           "Low",
		"threat.moderate":      "Moderate",
		"threat.substantial":   "Substantial",
		"threat.high":          "High",
		"threat.critical":      "Critical",
		"picture.threat.title": "Threat level per sector",
		"picture.threat.none":  "not set",
		"picture.threat.open":  "History and setting",
		"picture.col.level":    "Threat level",
		"picture.col.reason":   "Reason",
		"picture.threat.other": "Any sector:",
		"picture.threat.go":    "Open",
	},
	"nl": {
		"language.name":  "Nederlands",
		"language.label": "Taal",
		"skip":           "Naar de inhoud",
		"nav.label":      "Hoofdmenu",
		"nav.home":       "Situationeel beeld",
		"nav.objects":    "Objecten",
		"signout":        "Afmelden",
		"footer":         "Mosaic · cyber intel/info-cel. Alles hier is vertrouwelijk: behandel het zoals het TLP-label en de envelop zeggen.",

		"login.title":    "Aanmelden",
		"login.intro":    "Meld u aan met uw Mosaic-gebruikersnaam en wachtwoord.",
		"login.user":     "Gebruikersnaam",
		"login.password": "Wachtwoord",
		"login.submit":   "Aanmelden",
		"login.failed":   "De gebruikersnaam of het wachtwoord is onjuist.",
		"login.limited":  "Te veel mislukte aanmeldpogingen. Wacht een minuut en probeer het opnieuw.",
		"login.expired":  "Het aanmeldformulier was verlopen. Probeer het opnieuw.",

		"error.request":                      "Verzoek-id:",
		"error.home":                         "Terug naar de startpagina",
		"error.title.invalid":                "Ongeldig verzoek",
		"error.title.unauthorized":           "Niet aangemeld",
		"error.title.forbidden":              "Niet toegestaan",
		"error.title.not-found":              "Niet gevonden",
		"error.title.conflict":               "Conflict",
		"error.title.too-large":              "Te groot",
		"error.title.method-not-allowed":     "Methode niet toegestaan",
		"error.title.rate-limited":           "Te veel verzoeken",
		"error.title.unavailable":            "Niet beschikbaar",
		"error.title.internal":               "Er ging iets mis",
		"error.title.unsupported-media-type": "Inhoud niet ondersteund",

		"stakeholder.title":            "De pagina van uw organisatie",
		"stakeholder.empty.title":      "Er is nog niets aan u verstrekt",
		"stakeholder.empty.body":       "De cel deelt informatie met uw organisatie via verstrekkingen. Zodra een verstrekking of handelingsperspectief aan uw organisatie of sector is gericht, verschijnt het hier:",
		"stakeholder.empty.releases":   "verstrekkingen: momentopnamen van objecten die de bronhouders voor u hebben goedgekeurd, met hun TLP-label;",
		"stakeholder.empty.advisories": "handelingsperspectieven met aanbevolen maatregelen, die u kunt bevestigen;",
		"stakeholder.empty.sightings":  "een plek om waarnemingen en de stand van maatregelen aan de cel terug te melden.",
		"stakeholder.empty.org":        "Organisatie: %s. Sectoren: %s.",

		"nocontent.title": "Geen celinhoud voor uw rol",
		"nocontent.body":  "Uw rol (%s) ziet de objecten van de cel niet.",
		"nocontent.api":   "Beheer en het auditlog zijn beschikbaar via de API:",

		"objects.title":          "Objecten",
		"objects.results":        "Zoeken: %s",
		"objects.filters":        "Objecten filteren",
		"objects.q":              "Zoeken",
		"objects.q.help":         "Woorden, of een observable zoals een IP-adres, domein, URL of hash.",
		"objects.type":           "Type",
		"objects.originator":     "Bronhouder",
		"objects.any":            "Alle",
		"objects.apply":          "Tonen",
		"objects.none":           "Geen objecten gevonden.",
		"objects.caption":        "Objecten, nieuwste eerst",
		"objects.col.name":       "Naam",
		"objects.col.type":       "Type",
		"objects.col.originator": "Bronhouder",
		"objects.col.modified":   "Gewijzigd",
		"objects.pages":          "Pagina's",
		"objects.first":          "Eerste pagina",
		"objects.next":           "Volgende pagina",

		"object.tlp":           "Traffic Light Protocol-label",
		"object.envelope":      "Behandeling",
		"object.originator":    "Bronhouder",
		"object.audience":      "Publiek",
		"object.orcon.yes":     "ja: niets verlaat de cel zonder toestemming van de bronhouder",
		"object.orcon.no":      "nee",
		"object.legal":         "Wettelijke grondslag",
		"object.review":        "Herbeoordelen voor",
		"object.added":         "Opgeslagen",
		"object.properties":    "Eigenschappen",
		"object.raw":           "Ruwe JSON",
		"object.relationships": "Relaties",
		"object.rel.this":      "dit object",
		"object.rel.link":      "relatie",
		"object.correlations":  "Correlaties",
		"object.shared":        "deelt",
		"object.versions":      "Versies",
		"object.modified":      "Gewijzigd",
		"object.changes":       "Wijzigingen ten opzichte van de vorige versie van de bronhouder",
		"object.firstversion":  "eerste versie",
		"object.none":          "Geen die u kunt zien.",
		"object.graph":         "Graaf van de %d relaties van dit object, hieronder opgesomd.",
		"object.graph.caption": "Dit object in het midden, waarmee het verband houdt eromheen; de pijlen geven de richting van de relatie. De lijst hieronder bevat elke relatie.",

		"diff.added":   "toegevoegd",
		"diff.removed": "verwijderd",
		"diff.changed": "gewijzigd",

		"tlp.clear":        "Ontvangers mogen dit zonder beperking delen.",
		"tlp.green":        "Ontvangers mogen dit binnen hun gemeenschap delen, niet openbaar.",
		"tlp.amber":        "Beperkte verspreiding: ontvangers mogen dit alleen op need-to-knowbasis delen binnen hun organisatie en haar klanten.",
		"tlp.amber+strict": "Beperkte verspreiding: ontvangers mogen dit alleen op need-to-knowbasis delen binnen hun eigen organisatie.",
		"tlp.red":          "Alleen voor de ogen en oren van individuele ontvangers: niet verder verspreiden.",

		"type.incident":                "Incidenten",
		"type.campaign":                "Campagnes",
		"type.intrusion-set":           "Intrusion sets",
		"type.malware":                 "Malware",
		"type.indicator":               "Indicatoren",
		"type.exploited-vulnerability": "Uitgebuite kwetsbaarheden",

		"picture.title":           "Situationeel beeld",
		"picture.lede":            "Wat de cel weet, voor zover u het als medewerker van %s mag zien. Tellingen gaan naar het moment waarop objecten zijn aangemaakt.",
		"picture.new.title":       "Nieuw sinds uw vorige bezoek",
		"picture.new.first":       "Dit is uw eerste bezoek: alles is nieuw.",
		"picture.new.count":       "objecten opgeslagen sinds uw vorige bezoek (%s).",
		"picture.new.badge":       "nieuw",
		"picture.types.title":     "Per type",
		"picture.types.caption":   "Objecten aangemaakt in de afgelopen 30 dagen, per type.",
		"picture.types.table":     "Objecten per type aangemaakt in de afgelopen 24 uur, 7 dagen en 30 dagen",
		"picture.types.summary":   "Objecten aangemaakt in de afgelopen 30 dagen: %s.",
		"picture.spark":           "%s per dag over de afgelopen 30 dagen: %d in totaal; drukste dag %s.",
		"picture.sectors.title":   "Per sector",
		"picture.sectors.caption": "Incidenten, campagnes, intrusion sets en malware die elke sector betreffen, afgelopen 30 dagen.",
		"picture.sectors.table":   "Objecten die elke sector betreffen, per type over de afgelopen 30 dagen, en in totaal over 24 uur, 7 dagen en 30 dagen",
		"picture.sectors.summary": "Objecten die elke sector betreffen in de afgelopen 30 dagen: %s.",
		"picture.sectors.note":    "Een sector telt een object mee wanneer een relatie het verbindt met een organisatie- of sectoridentiteit in die sector (targets, of bij incidenten elke relatie).",
		"picture.sectors.none":    "Geen object dat u kunt zien betreft een sector in de afgelopen 30 dagen.",
		"picture.col.type":        "Type",
		"picture.col.sector":      "Sector",
		"picture.col.day":         "24 uur",
		"picture.col.week":        "7 dagen",
		"picture.col.month":       "30 dagen",
		"picture.col.trend":       "Per dag",
		"picture.latest.title":    "Nieuwste objecten",
		"picture.latest.all":      "Alle objecten",
		"live.new":                "%d nieuwe objecten binnengekomen sinds deze pagina is geladen; laad de pagina opnieuw voor bijgewerkte tellingen.",

		"nav.contribute":              "Aanleveren",
		"object.addnote":              "Notitie toevoegen",
		"contribute.title":            "Aanleveren",
		"contribute.lede":             "Voeg toe wat uw organisatie weet. Het wordt opgeslagen met uw organisatie als bronhouder, met de behandeling die u hieronder kiest; delen is een keuze.",
		"contribute.bundle.title":     "Een STIX 2.1-bundel uploaden",
		"contribute.file":             "Bundelbestand",
		"contribute.file.help":        "Een STIX 2.1-bundel in JSON. Hij wordt in zijn geheel opgeslagen of helemaal niet.",
		"contribute.file.missing":     "Kies een bestand om te uploaden.",
		"contribute.bundle.submit":    "Uploaden",
		"contribute.indicator.title":  "Een indicator maken",
		"contribute.name":             "Naam",
		"contribute.pattern":          "STIX-patroon",
		"contribute.pattern.help":     "Bijvoorbeeld [ipv4-addr:value = '198.51.100.7'] of [domain-name:value = 'evil.example'].",
		"contribute.description":      "Beschrijving",
		"contribute.indicator.submit": "Indicator maken",
		"contribute.note.title":       "Een notitie schrijven",
		"contribute.abstract":         "Samenvatting",
		"contribute.content":          "Notitie",
		"contribute.refs":             "Over (object-id's)",
		"contribute.refs.help":        "De id's van de objecten waarover de notitie gaat, gescheiden door spaties of nieuwe regels.",
		"contribute.note.submit":      "Notitie opslaan",
		"contribute.default":          "Standaard",
		"contribute.envelope":         "Behandeling",
		"contribute.default.audience": "De standaard van uw organisatie",
		"contribute.default.orcon":    "Standaard (ja)",
		"contribute.yes":              "ja",
		"contribute.no":               "nee",
		"contribute.default.legal":    "Het wettelijk regime van uw organisatie",
		"contribute.review.help":      "Leeg: vandaag plus de herbeoordelingstermijn van de wettelijke grondslag.",
		"contribute.required":         "Dit veld is verplicht.",
		"contribute.refs.missing":     "Noem ten minste één object waarover de notitie gaat.",
		"contribute.refs.bad":         "%s is geen STIX-identifier (type--uuid).",
		"contribute.done":             "Opgeslagen: %d nieuwe objecten, %d nieuwe versies, %d ongewijzigd.",

		"sector.title":         "Sector %s",
		"sector.current":       "Huidig dreigingsniveau",
		"sector.setby":         "Vastgesteld door %s (%s) op %s.",
		"sector.none":          "Voor deze sector is geen dreigingsniveau vastgesteld.",
		"sector.set":           "Het dreigingsniveau vaststellen",
		"sector.level":         "Dreigingsniveau",
		"sector.reason":        "Reden",
		"sector.submit":        "Niveau vaststellen",
		"sector.history":       "Geschiedenis",
		"sector.when":          "Wanneer",
		"sector.who":           "Vastgesteld door",
		"threat.low":           "Laag",
		"threat.moderate":      "Beperkt",
		"threat.substantial":   "Aanzienlijk",
		"threat.high":          "Hoog",
		"threat.critical":      "Kritiek",
		"picture.threat.title": "Dreigingsniveau per sector",
		"picture.threat.none":  "niet vastgesteld",
		"picture.threat.open":  "Geschiedenis en vaststellen",
		"picture.col.level":    "Dreigingsniveau",
		"picture.col.reason":   "Reden",
		"picture.threat.other": "Elke sector:",
		"picture.threat.go":    "Openen",
	},
}
