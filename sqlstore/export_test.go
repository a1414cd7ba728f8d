package sqlstore

// HeldElsewhereQuery is heldElsewhereQuery, for the plan tests.
var HeldElsewhereQuery = heldElsewhereQuery
