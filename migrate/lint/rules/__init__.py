"""One module per lint rule; each defines `RULE` (see migrate.lint.rule.Rule)."""
