"""The claims suite's library: networks, data, probes, statistics and findings. No pytest here."""
