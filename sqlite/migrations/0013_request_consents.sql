-- Organisations whose approvers must each agree before a change request is
-- made (mosaic.ChangeRequest.Consents): adding a member to a compartment
-- shows what its members shared with it to someone new, so every member
-- organisation agrees, not only the one that gains. A request without rows
-- here is decided by one approver, as before.
CREATE TABLE change_request_consents (
	request_id INTEGER NOT NULL REFERENCES change_requests (id),
	org_id INTEGER NOT NULL REFERENCES orgs (id),
	decided_by INTEGER REFERENCES users (id),
	decided INTEGER,
	PRIMARY KEY (request_id, org_id)
);
