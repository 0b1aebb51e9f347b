"""Identity verification providers: simulator, manual review, fakes and plugin discovery."""
