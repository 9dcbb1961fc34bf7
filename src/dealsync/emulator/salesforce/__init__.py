"""The emulated Salesforce REST API (``SalesforceApp`` in :mod:`.app`).

Modules: ``app`` (routing, faults, usage header), ``auth`` (OAuth token endpoint), ``soql`` (tokenizer and parser),
``evaluate`` (binding, filtering, sorting), ``records`` (JSON and CSV formatting), ``query`` (query/queryAll and
cursors), ``describe``, ``writes`` (record updates and their side effects), ``composite`` (sObject Collections),
``bulk`` (Bulk API 2.0 query jobs), ``schema`` (objects and fields), ``errors`` (error bodies).
"""
