package mosaic

// Web keeps what the web UI needs beyond objects: sign-in sessions and the
// situational picture's aggregates (package web).
type Web interface{}
