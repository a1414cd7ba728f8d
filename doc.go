// Package mosaic holds the domain of Mosaic, the information system of a joint
// cyber intel/info cell: organisations and their users, the envelope of
// handling data that travels with every STIX 2.1 object, the errors every
// layer speaks, and the interfaces the stores implement.
//
// It imports the standard library only; the packages below it each deal with
// one outside thing (a database, HTTP, the STIX format, the audit log) and the
// policy package alone decides who may see what.
package mosaic
