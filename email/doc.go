// Package email sends Mosaic's notifications by SMTP.
//
// An e-mail leaves Mosaic's control the moment it is sent: it is copied,
// forwarded, indexed and kept by systems nobody in the cell audits. So a
// message carries nothing above TLP:CLEAR: a neutral subject, what kind of
// event happened, the cell's name and a link into Mosaic, where the reader
// signs in and the policy decides what they may see. [Message] has no field
// for a title, advice or object name, so none can slip into a template; the
// subjects and bodies are fixed texts per [Kind] and language (en, nl).
//
// Every header is built with net/mail and mime, and anything that would reach
// a header is refused when it holds a CR, LF or other control character, so a
// hostile display name or address cannot add a Bcc or a second message.
//
// Use:
//
//	s, err := email.New(email.Config{
//		Addr:         "smtp.cell.example:587",        // smtp_addr
//		From:         "Cell <mosaic@cell.example>",   // smtp_from; its name is the cell's name
//		TLS:          "starttls",                     // smtp_tls: none, starttls or tls
//		User:         "mosaic",                       // smtp_user
//		PasswordFile: "/etc/mosaic/smtp-password",    // smtp_password_file, mode 0600
//	})
//	err = s.Send(ctx, email.Message{ID: deliveryID, To: "ann@org.example",
//		Name: "Ann", Lang: "nl", Kind: email.ConsentRequested,
//		Link: "https://mosaic.cell.example/consents/..."})
//	if err != nil && email.Permanent(err) { /* dead-letter */ } // else retry later
//
// The password is read once, from a file only its owner may read, and never
// put in an error: a config dump or a log line must not leak it. TLS "none"
// is for a server on loopback (tests, a local relay) and never carries AUTH,
// and "starttls" fails rather than falling back to plain text when the server
// does not offer STARTTLS, since a man in the middle can strip the offer.
//
// [Permanent] tells a worker whether retrying can help: a 5xx reply or a
// message this package refuses to build will fail again, while a 4xx reply,
// a network error or a timeout may not.
package email
