"""Organisations, people, roles, SCID grants, authorisation and the audit log."""
