"""The only code that speaks HTTP to a CRM. One module per CRM imports its vendor SDK; the rest is shared."""
