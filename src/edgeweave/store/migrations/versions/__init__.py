"""Migration scripts, one per schema version (a package so the wheel ships them)."""
