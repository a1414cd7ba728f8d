package web

// The picture's section on recipients' feedback, in every language.
func init() {
	for lang, m := range pictureMessages {
		for k, v := range m {
			messages[lang][k] = v
		}
	}
}

var pictureMessages = map[string]map[string]string{
	"en": {
		"picture.feedback.title":             "Feedback on releases",
		"picture.feedback.published":         "Releases published whose feedback you read",
		"picture.feedback.chart.caption":     "Share of deliveries acknowledged, per sector, in the last 30 days",
		"picture.feedback.chart.summary":     "Deliveries acknowledged per sector: %s",
		"picture.feedback.sectors":           "Deliveries of the last 30 days per sector of the stakeholders, and what came of them",
		"picture.feedback.sectors.none":      "No release reached a stakeholder whose feedback you read in the last 30 days.",
		"picture.feedback.col.delivered":     "Delivered",
		"picture.feedback.col.acknowledged":  "Acknowledged",
		"picture.feedback.col.applied":       "Applied",
		"picture.feedback.col.sightings":     "Sightings",
		"picture.feedback.col.org":           "Recipient",
		"picture.feedback.col.received":      "Received",
		"picture.feedback.col.read":          "Read",
		"picture.feedback.col.acted":         "Acted",
		"picture.feedback.releases":          "The newest releases, recipient by recipient",
		"picture.feedback.releases.none":     "No release was published in the last 30 days whose feedback you read.",
		"picture.feedback.release.published": "published %s",
		"picture.feedback.release.withdrawn": "withdrawn %s",
		"picture.feedback.recipients.none":   "No recipient whose feedback you read.",
		"picture.feedback.notyet":            "not yet",
	},
	"nl": {
		"picture.feedback.title":             "Terugkoppeling op verstrekkingen",
		"picture.feedback.published":         "Gepubliceerde verstrekkingen waarvan u de terugkoppeling leest",
		"picture.feedback.chart.caption":     "Aandeel bevestigde verstrekkingen per sector, de laatste 30 dagen",
		"picture.feedback.chart.summary":     "Bevestigde verstrekkingen per sector: %s",
		"picture.feedback.sectors":           "Verstrekkingen van de laatste 30 dagen per sector van de belanghebbenden, en wat ermee gebeurde",
		"picture.feedback.sectors.none":      "De laatste 30 dagen bereikte geen verstrekking een belanghebbende van wie u de terugkoppeling leest.",
		"picture.feedback.col.delivered":     "Verstrekt",
		"picture.feedback.col.acknowledged":  "Bevestigd",
		"picture.feedback.col.applied":       "Toegepast",
		"picture.feedback.col.sightings":     "Waarnemingen",
		"picture.feedback.col.org":           "Ontvanger",
		"picture.feedback.col.received":      "Ontvangen",
		"picture.feedback.col.read":          "Gelezen",
		"picture.feedback.col.acted":         "Gehandeld",
		"picture.feedback.releases":          "De nieuwste verstrekkingen, per ontvanger",
		"picture.feedback.releases.none":     "De laatste 30 dagen is geen verstrekking gepubliceerd waarvan u de terugkoppeling leest.",
		"picture.feedback.release.published": "gepubliceerd %s",
		"picture.feedback.release.withdrawn": "ingetrokken %s",
		"picture.feedback.recipients.none":   "Geen ontvanger van wie u de terugkoppeling leest.",
		"picture.feedback.notyet":            "nog niet",
	},
}
