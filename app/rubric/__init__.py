"""The scoring engine: pure Python, no Flask, no SQLModel, no database."""
