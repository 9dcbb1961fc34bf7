"""Orchestration: pull (connectors → store), and later plan and apply writes back to the CRMs."""
