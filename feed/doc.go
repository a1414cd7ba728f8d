// Package feed is Mosaic's TAXII 2.1 client: it polls remote collections
// (OASIS TAXII Version 2.1, §5.4 Get Objects) on a schedule and imports what
// is new under the envelope configured for each feed, as contributions of
// the feed's local user's organisation.
//
// A poll asks for every version of the objects added after the feed's
// position, follows more and next to the end (TAXII §3.4, §3.5), and
// stores each page, then the feed's position, before it asks for the next.
// The position is the last page's X-TAXII-Date-Added-Last, or one
// microsecond before the last stored page's while there is more: servers
// give the objects of one upload one date_added and added_after is strict,
// so a restart reads the upload it may have stopped inside again from its
// start, and a page stored twice changes nothing, since identical objects
// count as unchanged. A poll ends, failed, on a page that brings nothing
// new while the server says there is more, and reads at most MaxPages
// pages. Failed polls back off exponentially, with jitter, up to an hour,
// or longer when the server says so with Retry-After.
package feed
