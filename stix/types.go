package stix

import "strings"

// category is the kind of STIX object, which decides the common properties
// it has (STIX 2.1 §3.2).
type category uint8

const (
	catUnknown  category = iota
	catSDO               // STIX Domain Object
	catSRO               // STIX Relationship Object
	catSCO               // STIX Cyber-observable Object
	catLanguage          // language-content
	catMarking           // marking-definition
	catExtDef            // extension-definition
)

// kind is the JSON form a spec-defined property must take.
type kind uint8

const (
	kString kind = iota + 1
	kStringList
	kTimestamp
	kBool
	kInt      // any integer in the STIX range
	kCount    // integer 0 to 999,999,999 (sighting count)
	kObserved // integer 1 to 999,999,999 (number_observed)
	kNonNeg   // integer ≥ 0
	kPort     // integer 0 to 65535
	kLatitude
	kLongitude
	kPrecision
	kDict       // non-empty dictionary
	kObject     // JSON object
	kObjectList // non-empty list of JSON objects
	kHashes
	kKillChain
	kOpinion
	kExtensionTypes
)

// kinds gives the form of every spec-defined property this package checks
// beyond the common ones. The same name has the same form wherever STIX 2.1
// uses it. References (_ref, _refs) are checked by suffix.
var kinds = map[string]kind{
	"name": kString, "description": kString, "objective": kString, "context": kString,
	"identity_class": kString, "contact_information": kString, "pattern": kString,
	"pattern_type": kString, "pattern_version": kString, "resource_level": kString,
	"primary_motivation": kString, "region": kString, "country": kString,
	"administrative_area": kString, "city": kString, "street_address": kString,
	"postal_code": kString, "product": kString, "version": kString,
	"configuration_version": kString, "analysis_engine_version": kString,
	"analysis_definition_version": kString, "result_name": kString, "result": kString,
	"abstract": kString, "content": kString, "explanation": kString, "sophistication": kString,
	"tool_version": kString, "relationship_type": kString, "definition_type": kString,
	"schema": kString, "mime_type": kString, "url": kString,
	"encryption_algorithm": kString, "decryption_key": kString, "rir": kString, "path": kString,
	"path_enc": kString, "value": kString, "display_name": kString, "content_type": kString,
	"message_id": kString, "subject": kString, "body": kString, "name_enc": kString,
	"cwd": kString, "command_line": kString, "cpe": kString,
	"swid": kString, "vendor": kString, "user_id": kString, "credential": kString,
	"account_login": kString, "account_type": kString, "key": kString, "serial_number": kString,
	"signature_algorithm": kString, "issuer": kString, "subject_public_key_algorithm": kString,
	"subject_public_key_modulus": kString,

	"aliases": kStringList, "roles": kStringList, "sectors": kStringList,
	"indicator_types": kStringList, "infrastructure_types": kStringList, "goals": kStringList,
	"secondary_motivations": kStringList, "personal_motivations": kStringList,
	"malware_types": kStringList, "architecture_execution_envs": kStringList,
	"implementation_languages": kStringList, "capabilities": kStringList, "modules": kStringList,
	"authors": kStringList, "report_types": kStringList, "threat_actor_types": kStringList,
	"tool_types": kStringList, "protocols": kStringList, "received_lines": kStringList,
	"languages": kStringList, "extension_properties": kStringList,

	"first_seen": kTimestamp, "last_seen": kTimestamp, "valid_from": kTimestamp,
	"valid_until": kTimestamp, "submitted": kTimestamp, "analysis_started": kTimestamp,
	"analysis_ended": kTimestamp, "first_observed": kTimestamp, "last_observed": kTimestamp,
	"published": kTimestamp, "start_time": kTimestamp, "stop_time": kTimestamp,
	"object_modified": kTimestamp, "ctime": kTimestamp, "mtime": kTimestamp, "atime": kTimestamp,
	"date": kTimestamp, "start": kTimestamp, "end": kTimestamp, "created_time": kTimestamp,
	"account_created": kTimestamp, "account_expires": kTimestamp,
	"credential_last_changed": kTimestamp, "account_first_login": kTimestamp,
	"account_last_login": kTimestamp, "modified_time": kTimestamp,
	"validity_not_before": kTimestamp, "validity_not_after": kTimestamp,

	"is_family": kBool, "summary": kBool, "is_multipart": kBool, "is_active": kBool,
	"is_hidden": kBool, "is_service_account": kBool, "is_privileged": kBool,
	"can_escalate_privs": kBool, "is_disabled": kBool, "is_self_signed": kBool,

	"number_observed": kObserved, "count": kCount, "number": kNonNeg, "size": kNonNeg,
	"src_port": kPort, "dst_port": kPort, "src_byte_count": kNonNeg, "dst_byte_count": kNonNeg,
	"src_packets": kNonNeg, "dst_packets": kNonNeg, "pid": kInt, "number_of_subkeys": kNonNeg,
	"subject_public_key_exponent": kNonNeg,

	"latitude": kLatitude, "longitude": kLongitude, "precision": kPrecision,

	"objects": kDict, "contents": kDict, "additional_header_fields": kDict,
	"environment_variables": kDict, "ipfix": kDict,
	"x509_v3_extensions": kObject, "definition": kObject,
	"body_multipart": kObjectList, "values": kObjectList,
	"hashes": kHashes, "kill_chain_phases": kKillChain,
	"opinion": kOpinion, "extension_types": kExtensionTypes,
}

// typeSpec is what STIX 2.1 defines for one object type: its category, its
// required specific properties and all its specific properties.
type typeSpec struct {
	cat      category
	required []string
	has      map[string]bool
}

func spec(cat category, required, props string) *typeSpec {
	ts := &typeSpec{cat: cat, required: strings.Fields(required), has: make(map[string]bool)}
	for _, p := range strings.Fields(props) {
		if kinds[p] == 0 && !strings.HasSuffix(p, "_ref") && !strings.HasSuffix(p, "_refs") &&
			!strings.HasSuffix(p, "_bin") && !strings.HasSuffix(p, "_hex") {
			panic("stix: no kind for property " + p)
		}
		ts.has[p] = true
	}
	return ts
}

// types are the STIX 2.1 object types (§4 to §7).
var types = map[string]*typeSpec{
	"attack-pattern":       spec(catSDO, "name", "name description aliases kill_chain_phases"),
	"campaign":             spec(catSDO, "name", "name description aliases first_seen last_seen objective"),
	"course-of-action":     spec(catSDO, "name", "name description"),
	"grouping":             spec(catSDO, "context object_refs", "name description context object_refs"),
	"identity":             spec(catSDO, "name", "name description roles identity_class sectors contact_information"),
	"incident":             spec(catSDO, "name", "name description kill_chain_phases"),
	"indicator":            spec(catSDO, "pattern pattern_type valid_from", "name description indicator_types pattern pattern_type pattern_version valid_from valid_until kill_chain_phases"),
	"infrastructure":       spec(catSDO, "name", "name description infrastructure_types aliases kill_chain_phases first_seen last_seen"),
	"intrusion-set":        spec(catSDO, "name", "name description aliases first_seen last_seen goals resource_level primary_motivation secondary_motivations"),
	"location":             spec(catSDO, "", "name description latitude longitude precision region country administrative_area city street_address postal_code"),
	"malware":              spec(catSDO, "is_family", "name description malware_types is_family aliases kill_chain_phases first_seen last_seen operating_system_refs architecture_execution_envs implementation_languages capabilities sample_refs"),
	"malware-analysis":     spec(catSDO, "product", "product version host_vm_ref operating_system_ref installed_software_refs configuration_version modules analysis_engine_version analysis_definition_version submitted analysis_started analysis_ended result_name result analysis_sco_refs sample_ref"),
	"note":                 spec(catSDO, "content object_refs", "abstract content authors object_refs"),
	"observed-data":        spec(catSDO, "first_observed last_observed number_observed", "first_observed last_observed number_observed objects object_refs"),
	"opinion":              spec(catSDO, "opinion object_refs", "explanation authors opinion object_refs"),
	"report":               spec(catSDO, "name published object_refs", "name description report_types published object_refs"),
	"threat-actor":         spec(catSDO, "name", "name description threat_actor_types aliases first_seen last_seen roles goals sophistication resource_level primary_motivation secondary_motivations personal_motivations"),
	"tool":                 spec(catSDO, "name", "name description tool_types aliases kill_chain_phases tool_version"),
	"vulnerability":        spec(catSDO, "name", "name description"),
	"relationship":         spec(catSRO, "relationship_type source_ref target_ref", "relationship_type description source_ref target_ref start_time stop_time"),
	"sighting":             spec(catSRO, "sighting_of_ref", "description first_seen last_seen count sighting_of_ref observed_data_refs where_sighted_refs summary"),
	"artifact":             spec(catSCO, "", "mime_type payload_bin url hashes encryption_algorithm decryption_key"),
	"autonomous-system":    spec(catSCO, "number", "number name rir"),
	"directory":            spec(catSCO, "path", "path path_enc ctime mtime atime contains_refs"),
	"domain-name":          spec(catSCO, "value", "value resolves_to_refs"),
	"email-addr":           spec(catSCO, "value", "value display_name belongs_to_ref"),
	"email-message":        spec(catSCO, "is_multipart", "is_multipart date content_type from_ref sender_ref to_refs cc_refs bcc_refs message_id subject received_lines additional_header_fields body body_multipart raw_email_ref"),
	"file":                 spec(catSCO, "", "hashes size name name_enc magic_number_hex mime_type ctime mtime atime parent_directory_ref contains_refs content_ref"),
	"ipv4-addr":            spec(catSCO, "value", "value resolves_to_refs belongs_to_refs"),
	"ipv6-addr":            spec(catSCO, "value", "value resolves_to_refs belongs_to_refs"),
	"mac-addr":             spec(catSCO, "value", "value"),
	"mutex":                spec(catSCO, "name", "name"),
	"network-traffic":      spec(catSCO, "protocols", "start end is_active src_ref dst_ref src_port dst_port protocols src_byte_count dst_byte_count src_packets dst_packets ipfix src_payload_ref dst_payload_ref encapsulates_refs encapsulated_by_ref"),
	"process":              spec(catSCO, "", "is_hidden pid created_time cwd command_line environment_variables opened_connection_refs creator_user_ref image_ref parent_ref child_refs"),
	"software":             spec(catSCO, "name", "name cpe swid languages vendor version"),
	"url":                  spec(catSCO, "value", "value"),
	"user-account":         spec(catSCO, "", "user_id credential account_login account_type display_name is_service_account is_privileged can_escalate_privs is_disabled account_created account_expires credential_last_changed account_first_login account_last_login"),
	"windows-registry-key": spec(catSCO, "", "key values modified_time creator_user_ref number_of_subkeys"),
	"x509-certificate":     spec(catSCO, "", "is_self_signed hashes version serial_number signature_algorithm issuer validity_not_before validity_not_after subject subject_public_key_algorithm subject_public_key_modulus subject_public_key_exponent x509_v3_extensions"),
	"language-content":     spec(catLanguage, "object_ref contents", "object_ref object_modified contents"),
	"marking-definition":   spec(catMarking, "", "name definition_type definition"),
	"extension-definition": spec(catExtDef, "name schema version extension_types", "name description schema version extension_types extension_properties"),
}

// catOf returns the category of a STIX 2.1 type, catUnknown for others.
func catOf(t string) category {
	if ts, ok := types[t]; ok {
		return ts.cat
	}
	return catUnknown
}

// IsSCOType reports whether t is one of the STIX Cyber-observable Object
// types STIX 2.1 defines (§6), whose ids are derived from their values.
func IsSCOType(t string) bool { return catOf(t) == catSCO }

// use says whether a common property is required, optional or not
// applicable for a category.
type use uint8

const (
	na use = iota
	optional
	required
)

// commonUse is the table of STIX 2.1 §3.2, in category order: unknown,
// SDO, SRO, SCO, language-content, marking-definition,
// extension-definition. §3.6 mentions producers that version an SCO anyway,
// but the property tables of every SCO say the versioning properties do
// not apply, and an SCO has one version per id here.
var commonUse = map[string][7]use{
	"spec_version":        {optional, required, required, optional, required, required, required},
	"created_by_ref":      {optional, optional, optional, na, optional, optional, required},
	"created":             {optional, required, required, na, required, required, required},
	"modified":            {optional, required, required, na, required, na, required},
	"revoked":             {optional, optional, optional, na, optional, na, optional},
	"labels":              {optional, optional, optional, na, optional, na, optional},
	"confidence":          {optional, optional, optional, na, optional, na, na},
	"lang":                {optional, optional, optional, na, na, na, na},
	"external_references": {optional, optional, optional, na, optional, optional, optional},
	"object_marking_refs": {optional, optional, optional, optional, optional, optional, optional},
	"granular_markings":   {optional, optional, optional, optional, optional, optional, optional},
	"defanged":            {optional, na, na, optional, na, na, na},
	"extensions":          {optional, optional, optional, optional, optional, optional, na},
}

var catNames = [...]string{"objects of unknown type", "STIX Domain Objects", "STIX Relationship Objects",
	"STIX Cyber-observable Objects", "language-content objects", "marking-definition objects", "extension-definition objects"}

// propInfo is what the checker knows about a property name, gathered in
// one table so that each property costs one lookup.
type propInfo struct {
	common   bool
	use      [7]use // for common properties, by category
	reserved bool   // §3.8
	kind     kind
}

var propTable = func() map[string]propInfo {
	m := map[string]propInfo{"type": {}, "id": {}}
	for k, kd := range kinds {
		m[k] = propInfo{kind: kd}
	}
	for k, u := range commonUse {
		m[k] = propInfo{common: true, use: u}
	}
	for _, k := range []string{"severity", "username", "phone_number", "action"} {
		m[k] = propInfo{reserved: true}
	}
	return m
}()

// refTargets restricts the types some references may point to.
var refTargets = map[string][]string{
	"created_by_ref":      {"identity"},
	"object_marking_refs": {"marking-definition"},
	"observed_data_refs":  {"observed-data"},
	"where_sighted_refs":  {"identity", "location"},
}

var extensionTypes = []string{"new-sdo", "new-sco", "new-sro", "property-extension", "toplevel-property-extension"}

var opinions = []string{"strongly-disagree", "disagree", "neutral", "agree", "strongly-agree"}

// customCategory is the category an extension_type declares.
var customCategory = map[string]category{"new-sdo": catSDO, "new-sco": catSCO, "new-sro": catSRO}

// DefinedProperty reports whether STIX 2.1 defines property p for objects
// of type t: one of the common properties that apply to t's category, or
// one of t's own. Any other is a custom property. For a type STIX does not
// define, only the common properties count.
func DefinedProperty(t, p string) bool {
	if p == "type" || p == "id" {
		return true
	}
	cat := catOf(t)
	if u, ok := commonUse[p]; ok {
		return u[cat] != na
	}
	ts, ok := types[t]
	return ok && ts.has[p]
}

// IsTimestampProperty reports whether STIX 2.1 defines p as a timestamp,
// for whatever type has it.
func IsTimestampProperty(p string) bool {
	return p == "created" || p == "modified" || kinds[p] == kTimestamp
}
