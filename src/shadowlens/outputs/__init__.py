"""Outputs built from parsed records: exports, the Defender upload client, block scripts."""
