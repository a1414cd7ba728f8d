package demo

import (
	"fmt"

	"mosaic"
)

// phishingFeed is the background noise of a working cell: every few days
// the NCSC shares the phishing sites it took down or saw reported, cell-wide
// and TLP:GREEN (some TLP:CLEAR), heavier in the last day.
func (d *dataset) phishingFeed() {
	lures := []struct{ brand, path string }{
		{"hanzebank", "login"}, {"hanzebank", "verify"}, {"tax-refund", "claim"}, {"parcel-delivery", "track"},
		{"health-insurer", "refund"}, {"poldertel", "invoice"}, {"gov-id", "renew"}, {"energy-supplier", "rebate"},
	}
	tlds := []string{"example", "test", "invalid"}
	// days ago and how many sites each batch reports.
	schedule := []struct{ days, hours, n int }{{14, 4, 2}, {11, 6, 2}, {8, 3, 2}, {5, 7, 2}, {0, 20, 2}, {0, 11, 3}, {0, 4, 2}}

	b := d.batch("ncsc-analyst-2", mosaic.AudienceCell, d.ago(15, 2), mosaic.TLPGreen)
	kits := b.sdo("infrastructure", "phishing-kits-nl",
		p("name", "Phishing sites imitating Dutch banks and services"),
		p("description", "Short-lived phishing sites built with a handful of kits sold on Telegram, each up for a day or two."),
		p("infrastructure_types", []string{"phishing"}))
	// STIX defines no infrastructure-uses-technique relationship, hence
	// related-to.
	b.rel(kits, "related-to", attackPatternID("T1566.001"), "Some kits also send e-mail with a PDF attachment that links to the site.")

	n := 0
	for _, s := range schedule {
		b = d.batch("ncsc-analyst-2", mosaic.AudienceCell, d.ago(s.days, s.hours), mosaic.TLPGreen)
		for range s.n {
			l := lures[d.rng.IntN(len(lures))]
			host := fmt.Sprintf("%s-%s-%d.%s", l.brand, l.path, 100+n, tlds[n%len(tlds)])
			n++
			if n%4 == 0 {
				b.tlp = mosaic.TLPClear // already public through the takedown notice
			} else {
				b.tlp = mosaic.TLPGreen
			}
			// One indicator for the domain or the URL, as a takedown notice
			// names both.
			url := "https://" + host + "/" + l.path
			b.domainName(host)
			b.url(url)
			b.pattern("Phishing site "+host,
				"Phishing site imitating "+l.brand+"; reported by the public and taken down.",
				fmt.Sprintf("[domain-name:value = '%s'] OR [url:value = '%s']", host, url),
				[]string{"malicious-activity"}, 2*week, kits)
		}
	}
}
