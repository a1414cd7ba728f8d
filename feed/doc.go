// Package feed is Mosaic's TAXII 2.1 client: it polls remote collections
// (OASIS TAXII Version 2.1, §5.4 Get Objects) on a schedule and imports what
// is new under the envelope configured for each feed, as contributions of
// the feed's local user's organisation.
//
// A poll asks for the objects added after the X-TAXII-Date-Added-Last of
// the last page it stored, follows more and next to the end (TAXII §3.4,
// §3.5), and stores each page, then the feed's position, before it asks
// for the next: a restart resumes at the first page not stored, and a page
// stored twice changes nothing, since identical objects count as
// unchanged. Failed polls back off exponentially, with jitter, up to an
// hour, or longer when the server says so with Retry-After.
package feed
