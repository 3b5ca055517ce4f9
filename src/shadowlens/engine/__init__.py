"""Orchestration: sources, line chunks, format detection, the pipeline and its accounting."""
