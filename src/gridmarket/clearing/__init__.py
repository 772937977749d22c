"""The market clearing engine. Pure library: typed input in, typed result out; no database."""
