"""代表: the roster, its rules, import/export and printing."""
