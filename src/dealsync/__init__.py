"""dealsync keeps sales pipelines honest across CRMs."""

__version__ = "0.1.0"
