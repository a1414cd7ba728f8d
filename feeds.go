package mosaic

// Feeds keeps the remote TAXII 2.1 collections Mosaic polls and how far it
// has read each (package feed).
type Feeds interface{}
