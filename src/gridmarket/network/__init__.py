"""Grid model readers (RTS-GMLC, MATPOWER) and network sensitivities (PTDF, losses)."""
