"""The demo scenario: an ISO and its scheduling coordinators on the RTS-GMLC system."""
