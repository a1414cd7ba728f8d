package email

// text is the fixed wording of the messages in one language. The only
// things filled in are the cell's name, the event's wording and the links:
// no template has room for anything from the notification's content.
type text struct {
	subject     string // %s cell, %s kind
	body        string // %s cell, %s kind, %s link
	unsubscribe string // %s link
	kinds       map[Kind]wording
}

type wording struct{ subject, body string }

var texts = map[string]text{
	"en": {
		subject: "[%s] %s",
		body: "%s has a notification for you in Mosaic: %s\n\n" +
			"Sign in to Mosaic to see it:\n%s\n\n" +
			"This e-mail holds nothing of the notification's content.\n",
		unsubscribe: "\nYou receive this e-mail because of your notification settings. To stop e-mails of this kind:\n%s\n",
		kinds: map[Kind]wording{
			ReleaseAddressed: {"A release is addressed to you", "a release has been addressed to you."},
			ConsentRequested: {"Your consent is requested", "your consent is requested for a release."},
			ConsentReminder:  {"Reminder: your consent is awaited", "your consent for a release is still awaited."},
			ConsentRefused:   {"Consent refused", "consent for a release has been refused."},
			ReleaseWithdrawn: {"A release was withdrawn", "a release has been withdrawn."},
			ReleasePublished: {"A release was published", "a release has been published."},
			FeedbackReceipt:  {"Feedback received", "feedback on a release has been received."},
			FeedbackSighting: {"Sighting reported", "a sighting has been reported on a release."},
		},
	},
	"nl": {
		subject: "[%s] %s",
		body: "%s heeft een melding voor u in Mosaic: %s\n\n" +
			"Meld u aan bij Mosaic om de melding te zien:\n%s\n\n" +
			"Deze e-mail bevat niets van de inhoud van de melding.\n",
		unsubscribe: "\nU ontvangt deze e-mail door uw instellingen voor meldingen. Om e-mails van deze soort niet meer te ontvangen:\n%s\n",
		kinds: map[Kind]wording{
			ReleaseAddressed: {"Er is een release aan u gericht", "er is een release aan u gericht."},
			ConsentRequested: {"Uw toestemming wordt gevraagd", "uw toestemming wordt gevraagd voor een release."},
			ConsentReminder:  {"Herinnering: uw toestemming wordt verwacht", "uw toestemming voor een release wordt nog verwacht."},
			ConsentRefused:   {"Toestemming geweigerd", "toestemming voor een release is geweigerd."},
			ReleaseWithdrawn: {"Een release is ingetrokken", "een release is ingetrokken."},
			ReleasePublished: {"Een release is gepubliceerd", "een release is gepubliceerd."},
			FeedbackReceipt:  {"Terugkoppeling ontvangen", "er is terugkoppeling op een release ontvangen."},
			FeedbackSighting: {"Waarneming gemeld", "er is een waarneming gemeld bij een release."},
		},
	},
}
