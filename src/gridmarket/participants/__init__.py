"""Scheduling coordinators: applications, certification, SCIDs, obligations."""
