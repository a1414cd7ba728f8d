package mosaic

// Deconfliction keeps the blinded selector tokens partners register and the
// evaluation budgets (package deconflict).
type Deconfliction interface{}
