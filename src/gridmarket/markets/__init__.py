"""Market runs: parameters and forecasts gathered into clearing inputs; results stored."""
