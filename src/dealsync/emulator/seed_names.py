"""Word lists for the emulator's seeded data: companies, people, products, descriptions.

Only data lives here; ``seed.py`` combines it with one seeded ``random.Random``.
"""

from __future__ import annotations

# Company names are "<prefix> <core>" or "<core> <industry word>", then a legal suffix that fits the country.
COMPANY_PREFIXES: tuple[str, ...] = (
    "Acme", "Globex", "Initech", "Umbrella", "Stark", "Wayne", "Cyberdyne", "Hooli", "Vandelay", "Soylent",
    "Tyrell", "Wonka", "Aperture", "Massive", "Northwind", "Contoso", "Fabrikam", "Tailspin", "Litware",
    "Blue Yonder", "Red Rock", "Silver Lake", "Golden Gate", "Iron Bridge", "Evergreen", "Summit", "Pinnacle",
    "Harbor", "Keystone", "Lighthouse", "Meridian", "Nimbus", "Orion", "Polaris", "Quantum", "Redwood",
    "Sterling", "Titan", "Vertex", "Zenith", "Atlas", "Beacon", "Cascade", "Delta", "Everest", "Falcon",
    "Granite", "Horizon", "Juniper", "Kestrel", "Lumen", "Maple", "Nova", "Oakridge", "Pioneer",
)
COMPANY_CORES: tuple[str, ...] = (
    "Systems", "Logistics", "Analytics", "Foods", "Energy", "Health", "Capital", "Robotics", "Software",
    "Networks", "Pharma", "Textiles", "Motors", "Media", "Insurance", "Holdings", "Labs", "Solutions",
    "Industries", "Retail", "Consulting", "Materials", "Aerospace", "Biotech", "Telecom", "Shipping",
)
# (base name, country) pairs with accents and punctuation that break naive matching
ACCENTED_COMPANIES: tuple[tuple[str, str], ...] = (
    ("Société Générale d'Équipement", "FR"), ("Müller & Söhne", "DE"), ("Café Olé", "ES"),
    ("Björk Nordic", "SE"), ("Crème Brûlée Pâtisserie", "FR"), ("Zürcher Präzision", "CH"),
    ("São Paulo Trading", "BR"), ("Łódź Components", "PL"), ("Øresund Marine", "DK"), ("Ñandú Textil", "ES"),
    ("Château Lumière", "FR"), ("Göteborg Fjärrvärme", "SE"), ("O'Brien & Sons", "IE"), ("Smith-Jones", "GB"),
    ("Dr. Oetker-Weiß", "DE"), ("L'Oréal Partenaires", "FR"),
)
LEGAL_SUFFIXES: dict[str, tuple[str, ...]] = {
    "US": ("Inc", "Inc.", "LLC", "Corp", "Corporation", "Co."),
    "CA": ("Inc", "Ltd", "Corp"),
    "GB": ("Ltd", "PLC", "Limited"),
    "IE": ("Ltd", "Limited"),
    "DE": ("GmbH", "AG", "GmbH & Co. KG"),
    "CH": ("AG", "GmbH", "SA"),
    "FR": ("SAS", "S.A.", "SARL"),
    "ES": ("S.A.", "S.L."),
    "BR": ("Ltda", "S.A."),
    "SE": ("AB",),
    "DK": ("A/S", "ApS"),
    "PL": ("Sp. z o.o.", "S.A."),
    "JP": ("K.K.", "Co., Ltd."),
}
COUNTRIES: tuple[str, ...] = ("US", "US", "US", "US", "CA", "GB", "GB", "DE", "FR", "ES", "JP", "CH", "IE")
# the currency a company in this country usually buys in
COUNTRY_CURRENCY: dict[str, str] = {
    "US": "USD", "CA": "CAD", "GB": "GBP", "IE": "EUR", "DE": "EUR", "CH": "EUR", "FR": "EUR", "ES": "EUR",
    "BR": "USD", "SE": "EUR", "DK": "EUR", "PL": "EUR", "JP": "JPY",
}
TLD: dict[str, str] = {
    "US": "com", "CA": "ca", "GB": "co.uk", "IE": "ie", "DE": "de", "CH": "ch", "FR": "fr", "ES": "es",
    "BR": "com.br", "SE": "se", "DK": "dk", "PL": "pl", "JP": "co.jp",
}
INDUSTRIES: tuple[str, ...] = (
    "Technology", "Manufacturing", "Finance", "Healthcare", "Retail", "Energy", "Media", "Transportation",
)

PRODUCTS: tuple[str, ...] = (
    "Enterprise", "Platform", "Analytics Suite", "Data Cloud", "Starter", "Professional", "Premium Support",
    "Security Add-on", "API Access", "Managed Services", "Onboarding", "Training", "Integration Pack",
    "Mobile", "Compliance Module", "Global Rollout",
)
DEAL_KINDS: tuple[str, ...] = (
    "Renewal", "Expansion", "New Business", "Upsell", "Pilot", "Migration", "License", "Subscription",
)

FIRST_NAMES: tuple[str, ...] = (
    "Olivia", "Liam", "Emma", "Noah", "Amélie", "Jürgen", "Sofia", "Mateo", "Aoife", "Hiroshi", "Priya",
    "Chen", "Fatima", "Lukas", "Zoë", "Ethan", "Chloé", "Siobhán", "Marco", "Ingrid",
)
LAST_NAMES: tuple[str, ...] = (
    "O'Brien", "Müller", "García", "Smith", "Nguyen", "Johansson", "Dubois", "Rossi", "Kowalski", "Tanaka",
    "Patel", "Okafor", "Schmidt", "Brown", "Lefèvre", "MacDonald", "Silva", "Kim", "Novák", "Andersen",
)

DESCRIPTIONS: tuple[str, ...] = (
    "Follow-up after the demo; champion is the VP of Operations.",
    "Budget approved for next fiscal year.",
    "Competing with an incumbent vendor; price sensitive.",
    "Procurement wants a 3-year term.",
    "Legal review of the MSA in progress.",
    "Introduced by a partner at the annual conference.",
    "Needs SSO and EU data residency.",
    "Pilot with 50 seats, expansion if successful.",
)
# strings that break naive SOQL/JSON/CSV/HTML handling
HOSTILE_DESCRIPTIONS: tuple[str, ...] = (
    "Spoke with Seán O'Brien about the \"enterprise\" tier",
    "Path on their side: C:\\Users\\finance\\quotes\\Q3 — check again",
    "Contact: Zoë Lefèvre (Société Générale), prefers e-mail; naïve about pricing",
    "50% discount?! <b>not</b> approved & needs 'sign-off'",
    "Line one\nLine two\tTabbed; trailing backslash \\",
    "Emoji test 🚀 — déjà vu; 日本語の顧客メモ",
    "SELECT Id FROM Opportunity WHERE Name = 'x' OR '1'='1'",
    "Quote: \"We'll sign by Friday\" — CFO",
)
